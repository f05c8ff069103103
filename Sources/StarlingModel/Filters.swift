import Foundation

/// The `filters` query parameter of list endpoints.
///
/// Docker clients send it in two shapes: the Go client's `{"name":{"web":true}}` and the python SDK's
/// `{"name": ["web"]}`. Both decode to the same key → set of values.
public struct Filters: Hashable, Sendable {
    public private(set) var values: [String: Set<String>]

    public init(_ values: [String: Set<String>] = [:]) { self.values = values }

    /// Parses the JSON text of a `filters` parameter; an empty string means no filter.
    public init(json: String) throws {
        guard !json.isEmpty else {
            self.init()
            return
        }
        guard let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw StarlingError.invalidArgument("invalid filter '\(json)'")
        }
        var values: [String: Set<String>] = [:]
        for (key, raw) in object {
            switch raw {
            case let map as [String: Any]:
                values[key] = Set(map.compactMap { k, v in (v as? Bool) == false ? nil : k })
            case let list as [Any]:
                values[key] = Set(list.compactMap { $0 as? String })
            case let single as String:
                values[key] = [single]
            default:
                throw StarlingError.invalidArgument("invalid filter '\(json)'")
            }
        }
        self.init(values)
    }

    public var isEmpty: Bool { values.isEmpty }

    public func values(_ key: String) -> Set<String> { values[key] ?? [] }

    public func contains(_ key: String) -> Bool { values[key] != nil }

    /// Refuses keys the endpoint does not know, with Docker's message.
    public func validate(allowed: Set<String>) throws {
        for key in values.keys where !allowed.contains(key) {
            throw StarlingError.invalidArgument("invalid filter '\(key)'")
        }
    }

    /// True when the filter has no values for `key`, or when any value matches `predicate`.
    public func matches(_ key: String, _ predicate: (String) -> Bool) -> Bool {
        guard let wanted = values[key], !wanted.isEmpty else { return true }
        return wanted.contains(where: predicate)
    }

    /// Docker's label filter: every `key` or `key=value` given must be present on `labels`.
    public func matchesLabels(_ key: String = "label", _ labels: [String: String]) -> Bool {
        guard let wanted = values[key] else { return true }
        for entry in wanted {
            if let eq = entry.firstIndex(of: "=") {
                let name = String(entry[..<eq])
                let value = String(entry[entry.index(after: eq)...])
                if labels[name] != value { return false }
            } else if labels[entry] == nil {
                return false
            }
        }
        return true
    }

    /// Encodes in the Go client's shape.
    public var json: String {
        let object = values.mapValues { set in Dictionary(uniqueKeysWithValues: set.map { ($0, true) }) }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
