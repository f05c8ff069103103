import Foundation

// Go's encoding/json matches object keys to struct fields ignoring case (an exact match wins), and dockerd looks up
// many enum values after upper-casing them. Docker clients rely on both: the python SDK sends
// `"Mode":{"replicated":{"Replicas":2}}`. Swift's synthesized `Decodable` matches keys exactly, so the model enters a
// case-insensitive decoder at the objects clients send (`ServiceSpec`), and everything decoded below it, synthesized
// or not, finds its keys the way Go does.

extension Decoder {
    /// A keyed container that finds each key as Go does: the exact key if present, else one that differs only in
    /// case. Objects and arrays decoded through it match their keys the same way, all the way down.
    public func caseInsensitiveContainer<Key: CodingKey>(
        keyedBy type: Key.Type
    ) throws -> KeyedDecodingContainer<Key> {
        try CaseInsensitiveDecoder.wrapping(self).container(keyedBy: type)
    }
}

/// A string enum of the Engine API, decoded as dockerd reads it: the exact value, else one that differs only in case
/// (`"TCP"` is `tcp`). Anything else fails with the list of accepted values. It encodes its canonical raw value.
public protocol LenientStringEnum: RawRepresentable<String>, CaseIterable, Codable, Sendable {}

extension LenientStringEnum {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        if let exact = Self(rawValue: text) {
            self = exact
            return
        }
        let folded = text.lowercased()
        if let match = Self.allCases.first(where: { $0.rawValue.lowercased() == folded }) {
            self = match
            return
        }
        let accepted = Self.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        throw DecodingError.dataCorruptedError(
            in: container, debugDescription: "invalid value '\(text)': expected one of \(accepted)")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Any key, by its string.
struct AnyCodingKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }

    init(_ key: some CodingKey) {
        self.stringValue = key.stringValue
        self.intValue = key.intValue
    }
}

/// Scalars that need no wrapping: they are decoded by the underlying container directly.
protocol DirectlyDecoded: Decodable {}
extension String: DirectlyDecoded {}
extension Bool: DirectlyDecoded {}
extension Int: DirectlyDecoded {}
extension Int32: DirectlyDecoded {}
extension Int64: DirectlyDecoded {}
extension UInt32: DirectlyDecoded {}
extension UInt64: DirectlyDecoded {}
extension Double: DirectlyDecoded {}

/// Wraps a decoder so that every keyed container it hands out matches keys case-insensitively.
struct CaseInsensitiveDecoder: Decoder {
    let base: any Decoder

    static func wrapping(_ decoder: any Decoder) -> CaseInsensitiveDecoder {
        (decoder as? CaseInsensitiveDecoder) ?? CaseInsensitiveDecoder(base: decoder)
    }

    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(CaseInsensitiveKeyedContainer<Key>(try base.container(keyedBy: AnyCodingKey.self)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        CaseInsensitiveUnkeyedContainer(base: try base.unkeyedContainer())
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        CaseInsensitiveSingleValueContainer(decoder: self, base: try base.singleValueContainer())
    }
}

struct CaseInsensitiveKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let base: KeyedDecodingContainer<AnyCodingKey>
    /// Lower-cased key → the key as the document spells it.
    private let folded: [String: AnyCodingKey]

    init(_ base: KeyedDecodingContainer<AnyCodingKey>) {
        self.base = base
        var folded: [String: AnyCodingKey] = [:]
        for key in base.allKeys { folded[key.stringValue.lowercased()] = key }
        self.folded = folded
    }

    var codingPath: [any CodingKey] { base.codingPath }
    var allKeys: [Key] { base.allKeys.compactMap { Key(stringValue: $0.stringValue) } }

    private func resolve(_ key: Key) -> AnyCodingKey? {
        let exact = AnyCodingKey(key)
        if base.contains(exact) { return exact }
        return folded[key.stringValue.lowercased()]
    }

    private func found(_ key: Key) throws -> AnyCodingKey {
        guard let resolved = resolve(key) else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "No value associated with key \(key.stringValue)"))
        }
        return resolved
    }

    func contains(_ key: Key) -> Bool { resolve(key) != nil }
    func decodeNil(forKey key: Key) throws -> Bool { try base.decodeNil(forKey: found(key)) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try base.decode(type, forKey: found(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try base.decode(type, forKey: found(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try base.decode(type, forKey: found(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try base.decode(type, forKey: found(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try base.decode(type, forKey: found(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try base.decode(type, forKey: found(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try base.decode(type, forKey: found(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try base.decode(type, forKey: found(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try base.decode(type, forKey: found(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try base.decode(type, forKey: found(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try base.decode(type, forKey: found(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try base.decode(type, forKey: found(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try base.decode(type, forKey: found(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try base.decode(type, forKey: found(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let resolved = try found(key)
        if T.self is any DirectlyDecoded.Type { return try base.decode(type, forKey: resolved) }
        return try T(from: CaseInsensitiveDecoder(base: base.superDecoder(forKey: resolved)))
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(
            CaseInsensitiveKeyedContainer<NestedKey>(
                try base.nestedContainer(keyedBy: AnyCodingKey.self, forKey: found(key))))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        CaseInsensitiveUnkeyedContainer(base: try base.nestedUnkeyedContainer(forKey: found(key)))
    }

    func superDecoder() throws -> any Decoder { CaseInsensitiveDecoder(base: try base.superDecoder()) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        CaseInsensitiveDecoder(base: try base.superDecoder(forKey: resolve(key) ?? AnyCodingKey(key)))
    }
}

struct CaseInsensitiveUnkeyedContainer: UnkeyedDecodingContainer {
    var base: any UnkeyedDecodingContainer

    var codingPath: [any CodingKey] { base.codingPath }
    var count: Int? { base.count }
    var isAtEnd: Bool { base.isAtEnd }
    var currentIndex: Int { base.currentIndex }

    mutating func decodeNil() throws -> Bool { try base.decodeNil() }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try base.decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try base.decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try base.decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try base.decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try base.decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try base.decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try base.decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try base.decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try base.decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try base.decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try base.decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try base.decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try base.decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try base.decode(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self is any DirectlyDecoded.Type { return try base.decode(type) }
        return try T(from: CaseInsensitiveDecoder(base: base.superDecoder()))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(
            CaseInsensitiveKeyedContainer<NestedKey>(try base.nestedContainer(keyedBy: AnyCodingKey.self)))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        CaseInsensitiveUnkeyedContainer(base: try base.nestedUnkeyedContainer())
    }

    mutating func superDecoder() throws -> any Decoder { CaseInsensitiveDecoder(base: try base.superDecoder()) }
}

/// Scalars go straight to the underlying container; anything else is decoded from the wrapping decoder, so a type
/// that reads a nested value through a single-value container stays case-insensitive.
struct CaseInsensitiveSingleValueContainer: SingleValueDecodingContainer {
    let decoder: CaseInsensitiveDecoder
    let base: any SingleValueDecodingContainer

    var codingPath: [any CodingKey] { base.codingPath }

    func decodeNil() -> Bool { base.decodeNil() }
    func decode(_ type: Bool.Type) throws -> Bool { try base.decode(type) }
    func decode(_ type: String.Type) throws -> String { try base.decode(type) }
    func decode(_ type: Double.Type) throws -> Double { try base.decode(type) }
    func decode(_ type: Float.Type) throws -> Float { try base.decode(type) }
    func decode(_ type: Int.Type) throws -> Int { try base.decode(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try base.decode(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try base.decode(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try base.decode(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try base.decode(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try base.decode(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try base.decode(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try base.decode(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try base.decode(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try base.decode(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self is any DirectlyDecoded.Type { return try base.decode(type) }
        return try T(from: decoder)
    }
}
