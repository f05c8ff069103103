import Foundation
import StarlingModel
import Testing

/// The model encodes exactly as the Engine API: decoding the v1.41 spec's examples and encoding them again gives
/// the same JSON.
@Suite struct RoundTripTests {
    static func fixture(_ name: String) throws -> Data {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name).json")
        return try Data(contentsOf: url)
    }

    static func canonical(_ data: Data) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ name: String) throws {
        let original = try Self.fixture(name)
        let decoded = try StarlingJSON.decode(T.self, from: original)
        let encoded = try StarlingJSON.encode(decoded)
        #expect(try Self.canonical(encoded) == Self.canonical(original))
        #expect(try StarlingJSON.decode(T.self, from: encoded) == decoded)
    }

    @Test func node() throws { try roundTrip(Node.self, "Node") }

    @Test func swarm() throws { try roundTrip(Swarm.self, "Swarm") }

    @Test func nodeFieldsDecode() throws {
        let node = try StarlingJSON.decode(Node.self, from: Self.fixture("Node"))
        #expect(node.id == "24ifsmvkjbyhk")
        #expect(node.version.index == 373531)
        #expect(node.spec.role == .manager)
        #expect(node.spec.availability == .active)
        #expect(node.status.state == .ready)
        #expect(node.managerStatus?.leader == true)
        #expect(node.managerStatus?.reachability == .reachable)
        #expect(node.description?.resources?.genericResources?.contains(.discrete(kind: "SSD", value: 3)) == true)
        #expect(RFC3339.format(node.createdAt) == "2016-08-18T10:44:24.496525531Z")
    }

    @Test func workerOmitsManagerStatus() throws {
        let node = Node(
            id: "abc", createdAt: Timestamp(seconds: 0), updatedAt: Timestamp(seconds: 1),
            spec: NodeSpec(role: .worker), status: NodeStatus(state: .ready, addr: "10.0.0.2"))
        let json = try Self.canonical(StarlingJSON.encode(node))
        #expect(json["ManagerStatus"] == nil)
        #expect((json["Spec"] as? NSDictionary)?["Labels"] as? NSDictionary == [:])
        #expect(json["CreatedAt"] as? String == "1970-01-01T00:00:00Z")
    }

    @Test func systemVersionDecodes() throws {
        let version = try StarlingJSON.decode(SystemVersion.self, from: Self.fixture("SystemVersion"))
        #expect(version.apiVersion == "1.40")
        #expect(version.components.first?.name == "Engine")
    }

    @Test func nodeSpecDefaultsLikeDocker() throws {
        let spec = try StarlingJSON.decode(NodeSpec.self, from: Data(#"{"Role":"worker"}"#.utf8))
        #expect(spec.availability == .active)
        #expect(spec.labels.isEmpty)
        #expect(throws: DecodingError.self) {
            try StarlingJSON.decode(NodeSpec.self, from: Data(#"{"Role":"boss"}"#.utf8))
        }
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        "2016-08-18T10:44:24.496525531Z", "2017-08-09T07:09:37.632105588Z", "1970-01-01T00:00:00Z",
        "2026-11-26T19:43:00.5Z",
    ])
    func roundTrips(_ text: String) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(RFC3339.format(date) == text)
    }

    @Test func offsets() throws {
        let utc = try #require(RFC3339.parse("2020-06-22T15:49:27Z"))
        let shifted = try #require(RFC3339.parse("2020-06-22T17:49:27.000000000+02:00"))
        #expect(utc == shifted)
    }

    @Test(arguments: ["", "2020-06-22", "2020-06-22T15:49:27", "2020-13-22T15:49:27Zjunk", "x020-06-22T15:49:27Z"])
    func rejectsMalformed(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}

@Suite struct FiltersTests {
    @Test func goShape() throws {
        let filters = try Filters(json: #"{"name":{"web":true,"db":true},"role":{"manager":true}}"#)
        #expect(filters.values("name") == ["web", "db"])
        #expect(filters.values("role") == ["manager"])
    }

    @Test func pythonShape() throws {
        let filters = try Filters(json: #"{"role": ["manager"], "label": ["zone=a", "gpu"]}"#)
        #expect(filters.values("role") == ["manager"])
        #expect(filters.matchesLabels("label", ["zone": "a", "gpu": "1"]))
        #expect(!filters.matchesLabels("label", ["zone": "b", "gpu": "1"]))
        #expect(!filters.matchesLabels("label", ["zone": "a"]))
    }

    @Test func emptyAndInvalid() throws {
        #expect(try Filters(json: "").isEmpty)
        #expect(throws: StarlingError.self) { try Filters(json: "{not json") }
        let filters = try Filters(json: #"{"bogus":{"x":true}}"#)
        #expect(throws: StarlingError.invalidArgument("invalid filter 'bogus'")) {
            try filters.validate(allowed: ["name"])
        }
    }

    @Test func goShapeRoundTrip() throws {
        let filters = Filters(["label": ["com.docker.stack.namespace=stk"]])
        #expect(try Filters(json: filters.json) == filters)
    }
}

@Suite struct IdentifierTests {
    @Test func shapeAndUniqueness() {
        var generator = SeededGenerator(seed: 42)
        let ids = (0..<1000).map { _ in Identifier.make(using: &generator) }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 25)
            #expect(id.allSatisfy { $0.isNumber || ("a"..."z").contains($0) })
        }
        var again = SeededGenerator(seed: 42)
        #expect(Identifier.make(using: &again) == ids[0])
    }

    struct Item {
        var id: String
        var name: String
    }

    @Test func resolveLikeDocker() throws {
        let items = [Item(id: "abc123", name: "web"), Item(id: "abd456", name: "db"), Item(id: "web999", name: "x")]
        func resolve(_ reference: String) throws -> String {
            try Identifier.resolve(reference, in: items, kind: "node", id: \.id, names: { [$0.name] }).id
        }
        #expect(try resolve("abc123") == "abc123")
        #expect(try resolve("web") == "abc123")  // an exact name wins over an ID prefix
        #expect(try resolve("abd") == "abd456")
        #expect(throws: StarlingError.invalidArgument("node ab is ambiguous (2 matches found)")) { try resolve("ab") }
        #expect(throws: StarlingError.notFound("node zz not found")) { try resolve("zz") }
    }
}

/// A small deterministic generator (SplitMix64) for tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
