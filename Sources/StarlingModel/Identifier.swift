/// Object IDs as SwarmKit makes them: 128 random bits written in base 36, padded to 25 characters
/// (`24ifsmvkjbyhk...`).
public enum Identifier {
    public static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        let high = UInt64.random(in: .min ... .max, using: &generator)
        let low = UInt64.random(in: .min ... .max, using: &generator)
        return base36(high: high, low: low, width: 25)
    }

    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }

    /// Base 36 of the 128-bit number `high:low`, left-padded with zeros to `width`.
    static func base36(high: UInt64, low: UInt64, width: Int) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        var digits: [Character] = []
        var (hi, lo) = (high, low)
        while hi != 0 || lo != 0 {
            // Divide the 128-bit number by 36, keeping the remainder.
            let hiQ = hi / 36
            let hiR = hi % 36
            let (loQ, loR) = UInt64(36).dividingFullWidth((high: hiR, low: lo))
            hi = hiQ
            lo = loQ
            digits.append(alphabet[Int(loR)])
        }
        while digits.count < width { digits.append("0") }
        return String(digits.reversed())
    }

    /// Resolves a user's reference to one object: an exact ID, then an exact name, then a unique ID prefix, as
    /// Docker does. Throws `notFound` or, for an ambiguous prefix, `invalidArgument`.
    public static func resolve<T>(
        _ reference: String, in objects: [T], kind: String, id: (T) -> String, names: (T) -> [String]
    ) throws -> T {
        if let exact = objects.first(where: { id($0) == reference }) { return exact }
        if let named = objects.first(where: { names($0).contains(reference) }) { return named }
        let prefixed = objects.filter { id($0).hasPrefix(reference) }
        if prefixed.count == 1 { return prefixed[0] }
        if prefixed.count > 1 {
            throw StarlingError.invalidArgument("\(kind) \(reference) is ambiguous (\(prefixed.count) matches found)")
        }
        throw StarlingError.notFound("\(kind) \(reference) not found")
    }
}
