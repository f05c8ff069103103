/// A JSON value whose objects keep their keys in the order given, printed the way Go's `json.MarshalIndent` prints
/// it: so that `inspect` output matches the docker CLI's, which re-encodes Go structs (fields in declaration order,
/// map keys sorted, `<`, `>` and `&` escaped).
indirect enum GoJSON: Sendable {
    case object([(String, GoJSON)])
    case array([GoJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func int<I: BinaryInteger>(_ value: I) -> GoJSON { .number(String(value)) }

    /// A Go map: keys sorted.
    static func map(_ values: [String: String]) -> GoJSON {
        .object(
            values.sorted { Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }.map {
                ($0.key, .string($0.value))
            })
    }

    /// `json.MarshalIndent(value, "", indent)`.
    func indented(_ indent: String = "    ") -> String {
        var output = ""
        write(to: &output, indent: indent, depth: 0)
        return output
    }

    private func write(to output: inout String, indent: String, depth: Int) {
        switch self {
        case .object(let members):
            guard !members.isEmpty else {
                output += "{}"
                return
            }
            output += "{"
            for (offset, (key, value)) in members.enumerated() {
                output += (offset == 0 ? "\n" : ",\n") + String(repeating: indent, count: depth + 1)
                output += Self.quote(key) + ": "
                value.write(to: &output, indent: indent, depth: depth + 1)
            }
            output += "\n" + String(repeating: indent, count: depth) + "}"
        case .array(let elements):
            guard !elements.isEmpty else {
                output += "[]"
                return
            }
            output += "["
            for (offset, element) in elements.enumerated() {
                output += (offset == 0 ? "\n" : ",\n") + String(repeating: indent, count: depth + 1)
                element.write(to: &output, indent: indent, depth: depth + 1)
            }
            output += "\n" + String(repeating: indent, count: depth) + "]"
        case .string(let text): output += Self.quote(text)
        case .number(let text): output += text
        case .bool(let value): output += value ? "true" : "false"
        case .null: output += "null"
        }
    }

    /// Go's string encoding with HTML escaping (the default of `json.Marshal`).
    static func quote(_ text: String) -> String {
        let hex = Array("0123456789abcdef")
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                let value = Int(scalar.value)
                output +=
                    "\\u"
                    + String([hex[value >> 12 & 15], hex[value >> 8 & 15], hex[value >> 4 & 15], hex[value & 15]])
            default:
                if scalar.value < 0x20 {
                    let value = Int(scalar.value)
                    output += "\\u00" + String([hex[value >> 4], hex[value & 15]])
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }
}
