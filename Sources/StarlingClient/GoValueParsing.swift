import Foundation
import StarlingModel

/// Command-line values parsed as the docker CLI parses them (Go's `time.ParseDuration`, go-units `RAMInBytes`,
/// `opts.ParseCPUs`), with Go's error messages, so `starling service create` takes what `docker service create`
/// takes. Errors are `StarlingError.invalidArgument`.
public enum GoValueParsing {
    /// Go's `time.ParseDuration` in nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0` alone; units `ns`,
    /// `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`.
    public static func duration(_ text: String) throws -> Int64 {
        let invalid = StarlingError.invalidArgument("time: invalid duration \(goQuote(text))")
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { throw invalid }
        var total: Int64 = 0
        while !rest.isEmpty {
            guard let first = rest.first, first == "." || first.isASCII && first.isNumber else { throw invalid }
            let whole = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { throw invalid }
            let unitText = rest.prefix { !($0 == "." || $0.isASCII && $0.isNumber) }
            guard !unitText.isEmpty else {
                throw StarlingError.invalidArgument("time: missing unit in duration \(goQuote(text))")
            }
            rest = rest.dropFirst(unitText.count)
            guard let unit = durationUnits[String(unitText)] else {
                throw StarlingError.invalidArgument(
                    "time: unknown unit \(goQuote(String(unitText))) in duration \(goQuote(text))")
            }
            guard let value = Int64(whole.isEmpty ? "0" : whole) else { throw invalid }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow else { throw invalid }
            // The fraction, to the nanosecond (Go rounds down the same way for sane inputs).
            var part: Int64 = 0
            if !fraction.isEmpty {
                let digits = fraction.prefix(18)
                let numerator = Double(Int64(digits) ?? 0)
                part = Int64(numerator * Double(unit) / pow(10, Double(digits.count)))
            }
            let (sum, overflowed) = total.addingReportingOverflow(scaled + part)
            guard !overflowed else { throw invalid }
            total = sum
        }
        return negative ? -total : total
    }

    private static let durationUnits: [String: Int64] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// go-units `RAMInBytes`: a number with an optional binary unit (`b`, `k`, `m`, `g`, `t`, `p`, each optionally
    /// followed by `b` or `ib`, any case): `64M`, `1GiB`, `512k`, `1.5g`, `100`.
    public static func ramInBytes(_ text: String) throws -> Int64 {
        guard let separator = text.lastIndex(where: { "0123456789. ".contains($0) }) else {
            throw StarlingError.invalidArgument("invalid size: '\(text)'")
        }
        let number: Substring
        let suffix = text[text.index(after: separator)...]
        number = text[separator] == " " ? text[..<separator] : text[...separator]
        guard var size = Double(number), number.first != "+", !number.contains(where: { $0.isLetter }) else {
            throw StarlingError.invalidArgument(
                "strconv.ParseFloat: parsing \(goQuote(String(number))): invalid syntax")
        }
        guard size >= 0 else { throw StarlingError.invalidArgument("invalid size: '\(text)'") }
        let lowered = suffix.lowercased()
        let badSuffix = StarlingError.invalidArgument("invalid suffix: '\(lowered)'")
        if lowered.isEmpty { return Int64(size) }
        guard lowered.count <= 3, let unit = lowered.first else { throw badSuffix }
        if unit == "b" {
            guard lowered.count == 1 else { throw badSuffix }
            return Int64(size)
        }
        let multipliers: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50]
        guard let multiplier = multipliers[unit] else { throw badSuffix }
        size *= Double(multiplier)
        let tail = lowered.dropFirst()
        guard tail.isEmpty || tail == "b" || tail == "ib" else { throw badSuffix }
        return Int64(size)
    }

    /// `opts.ParseCPUs`: a decimal (`0.5`, `2`) or a fraction (`1/4`) of CPUs, in units of 10⁻⁹ CPUs; more than
    /// nine decimal places is "value is too precise".
    public static func nanoCPUs(_ text: String) throws -> Int64 {
        let notRational = StarlingError.invalidArgument("failed to parse \(text) as a rational number")
        if let slash = text.firstIndex(of: "/") {
            guard let numerator = Int64(text[..<slash]), let denominator = Int64(text[text.index(after: slash)...]),
                denominator > 0
            else { throw notRational }
            let (nano, overflow) = numerator.multipliedReportingOverflow(by: 1_000_000_000)
            guard !overflow else { throw notRational }
            guard nano % denominator == 0 else { throw StarlingError.invalidArgument("value is too precise") }
            return nano / denominator
        }
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), whole.allSatisfy({ $0.isASCII && $0.isNumber }),
            fraction.allSatisfy({ $0.isASCII && $0.isNumber })
        else { throw notRational }
        let significant = fraction.reversed().drop { $0 == "0" }.reversed()
        guard significant.count <= 9 else { throw StarlingError.invalidArgument("value is too precise") }
        guard let units = Int64(whole.isEmpty ? "0" : whole),
            let nanos = Int64(String(significant).padding(toLength: 9, withPad: "0", startingAt: 0))
        else { throw notRational }
        let (scaled, overflow) = units.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { throw notRational }
        return negative ? -(scaled + nanos) : scaled + nanos
    }

    /// `strconv.ParseUint(text, 0, 64)`: decimal, or `0x`, `0o`, `0b` and a leading `0` for octal; `_` between
    /// digits is allowed with a prefix.
    public static func unsigned(_ text: String) throws -> UInt64 {
        let invalid = StarlingError.invalidArgument("strconv.ParseUint: parsing \(goQuote(text)): invalid syntax")
        let lowered = text.lowercased()
        var radix = 10
        var digits = Substring(lowered)
        for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] where lowered.hasPrefix(prefix) {
            radix = base
            digits = lowered.dropFirst(2)
        }
        if radix == 10, lowered.count > 1, lowered.hasPrefix("0") {
            radix = 8
            digits = lowered.dropFirst()
        }
        if radix != 10 { digits = Substring(digits.replacingOccurrences(of: "_", with: "")) }
        guard !digits.isEmpty, digits.allSatisfy({ $0.hexDigitValue.map { $0 < radix } ?? false }) else {
            throw invalid
        }
        guard let value = UInt64(digits, radix: radix) else {
            throw StarlingError.invalidArgument("strconv.ParseUint: parsing \(goQuote(text)): value out of range")
        }
        return value
    }

    /// `strconv.Quote` for the plain text of command lines.
    static func goQuote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
