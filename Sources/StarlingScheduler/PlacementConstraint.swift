import StarlingModel

/// One placement constraint, `key op value`, parsed and matched as SwarmKit's `manager/constraint` does:
///
/// - operators `==` and `!=`; whitespace around the key and the value is ignored;
/// - the key is one of `node.id`, `node.hostname`, `node.role`, `node.platform.os`, `node.platform.arch`,
///   `node.labels.<label>`, `engine.labels.<label>`, matched case-insensitively except the label name itself;
/// - the value is compared case-insensitively (Go's `strings.EqualFold`), for labels too; a missing label or
///   hostname compares as the empty string, so `!=` matches a node that lacks it.
///
/// Unlike SwarmKit, which accepts any well-formed key at validation and then never matches an unknown one, an
/// unknown key is an error here, so `docker service create` fails at once instead of leaving tasks pending.
public struct PlacementConstraint: Hashable, Sendable, CustomStringConvertible {
    /// What a constraint looks at.
    public enum Key: Hashable, Sendable, CustomStringConvertible {
        case nodeID
        case nodeHostname
        case nodeRole
        case nodePlatformOS
        case nodePlatformArch
        /// `node.labels.<name>`; the name is case-sensitive.
        case nodeLabel(String)
        /// `engine.labels.<name>`; the name is case-sensitive.
        case engineLabel(String)

        public var description: String {
            switch self {
            case .nodeID: "node.id"
            case .nodeHostname: "node.hostname"
            case .nodeRole: "node.role"
            case .nodePlatformOS: "node.platform.os"
            case .nodePlatformArch: "node.platform.arch"
            case .nodeLabel(let name): PlacementConstraint.nodeLabelPrefix + name
            case .engineLabel(let name): PlacementConstraint.engineLabelPrefix + name
            }
        }
    }

    /// `==` or `!=`.
    public enum Operator: String, Hashable, Sendable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
    }

    public static let nodeLabelPrefix = "node.labels."
    public static let engineLabelPrefix = "engine.labels."

    public var key: Key
    public var op: Operator
    /// Compared case-insensitively.
    public var value: String

    public init(key: Key, op: Operator, value: String) {
        self.key = key
        self.op = op
        self.value = value
    }

    /// Parses `expression`, e.g. `node.labels.zone == a`. Throws `invalidArgument` naming the expression when it has
    /// no operator, a malformed key or value, or a key that is not one of the known ones.
    public init(_ expression: String) throws(StarlingError) {
        guard let (op, left, right) = Self.split(expression) else {
            throw Self.invalid(expression, "expected one operator from ==, !=")
        }
        let keyText = trimmed(left)
        let valueText = trimmed(right)
        guard Self.isWellFormedKey(keyText) else { throw Self.invalid(expression, "key '\(keyText)' is invalid") }
        guard Self.isWellFormedValue(valueText) else {
            throw Self.invalid(expression, "value '\(valueText)' is invalid")
        }
        guard let key = Self.key(keyText) else {
            throw Self.invalid(
                expression,
                "unknown key '\(keyText)' (use node.id, node.hostname, node.role, node.platform.os, "
                    + "node.platform.arch, node.labels.<label> or engine.labels.<label>)")
        }
        self.init(key: key, op: op, value: valueText)
    }

    /// Parses every expression; the first invalid one throws.
    public static func parse(_ expressions: [String]) throws(StarlingError) -> [PlacementConstraint] {
        var constraints: [PlacementConstraint] = []
        constraints.reserveCapacity(expressions.count)
        for expression in expressions {
            constraints.append(try PlacementConstraint(expression))
        }
        return constraints
    }

    /// Whether `node` satisfies the constraint.
    public func matches(_ node: SchedulableNode) -> Bool {
        let actual: String
        switch key {
        case .nodeID: actual = node.id
        case .nodeHostname: actual = node.hostname
        case .nodeRole: actual = node.role.rawValue
        case .nodePlatformOS: actual = node.platform.os
        case .nodePlatformArch: actual = node.platform.architecture
        case .nodeLabel(let name): actual = node.labels[name] ?? ""
        case .engineLabel(let name): actual = node.engineLabels[name] ?? ""
        }
        let equal = equalFold(value, actual)
        return op == .equal ? equal : !equal
    }

    public var description: String { "\(key)\(op.rawValue)\(value)" }

    private static func invalid(_ expression: String, _ reason: String) -> StarlingError {
        .invalidArgument("invalid constraint \"\(expression)\": \(reason)")
    }

    /// Splits at the first occurrence of the first operator the expression contains (`==` is looked for first).
    private static func split(_ expression: String) -> (Operator, Substring, Substring)? {
        let bytes = expression.utf8
        for op in Operator.allCases {
            let pattern = Array(op.rawValue.utf8)
            var index = bytes.startIndex
            while index != bytes.endIndex {
                let next = bytes.index(after: index)
                if bytes[index] == pattern[0], next != bytes.endIndex, bytes[next] == pattern[1] {
                    return (op, expression[..<index], expression[bytes.index(after: next)...])
                }
                index = next
            }
        }
        return nil
    }

    private static func key(_ text: String) -> Key? {
        let fixed: [(String, Key)] = [
            ("node.id", .nodeID), ("node.hostname", .nodeHostname), ("node.role", .nodeRole),
            ("node.platform.os", .nodePlatformOS), ("node.platform.arch", .nodePlatformArch),
        ]
        if let match = fixed.first(where: { equalFold($0.0, text) }) { return match.1 }
        if let name = labelName(text, prefix: nodeLabelPrefix) { return .nodeLabel(name) }
        if let name = labelName(text, prefix: engineLabelPrefix) { return .engineLabel(name) }
        return nil
    }

    /// The part after a case-insensitive `prefix`, when there is one.
    static func labelName(_ text: String, prefix: String) -> String? {
        let utf8 = text.utf8
        guard utf8.count > prefix.utf8.count else { return nil }
        let split = utf8.index(utf8.startIndex, offsetBy: prefix.utf8.count)
        guard equalFold(String(text[..<split]), prefix) else { return nil }
        return String(text[split...])
    }

    /// SwarmKit's key pattern `^(?i)[a-z_][a-z0-9\-_.]+$`.
    private static func isWellFormedKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count >= 2, isLetter(bytes[0]) || bytes[0] == UInt8(ascii: "_") else { return false }
        return bytes.dropFirst().allSatisfy { isLetter($0) || isDigit($0) || "-_.".utf8.contains($0) }
    }

    /// SwarmKit's value pattern `^(?i)[a-z0-9:\-_\s\.\*\(\)\?\+\[\]\\\^\$\|\/]+$`: no operator characters.
    private static func isWellFormedValue(_ value: String) -> Bool {
        !value.isEmpty
            && value.utf8.allSatisfy {
                isLetter($0) || isDigit($0) || ":-_ \t\n\r\u{0C}.*()?+[]\\^$|/".utf8.contains($0)
            }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

/// `text` without leading and trailing whitespace (Go's `strings.TrimSpace`).
func trimmed(_ text: Substring) -> String {
    String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
}

/// Go's `strings.EqualFold` for ASCII, and a lowercase comparison beyond it.
func equalFold(_ a: String, _ b: String) -> Bool {
    var left = a.utf8.makeIterator()
    var right = b.utf8.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil):
            return true
        case (let l?, let r?):
            if l == r { continue }
            if l >= 0x80 || r >= 0x80 { return a.lowercased() == b.lowercased() }
            let lower = l | 0x20
            guard lower == r | 0x20, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(lower) else { return false }
        default:
            return a.utf8.contains { $0 >= 0x80 } || b.utf8.contains { $0 >= 0x80 }
                ? a.lowercased() == b.lowercased() : false
        }
    }
}
