import StarlingManager
import StarlingModel
import Testing

/// Fixture factory for nodes.
enum Fixture {
    static func node(
        _ id: String, role: NodeSpec.Role = .worker, state: NodeStatus.State = .ready, hostname: String? = nil,
        labels: [String: String] = [:], engineLabels: [String: String] = [:]
    ) -> Node {
        Node(
            id: id, createdAt: Timestamp(seconds: 0), updatedAt: Timestamp(seconds: 0),
            spec: NodeSpec(labels: labels, role: role),
            description: NodeDescription(hostname: hostname ?? id, engine: EngineDescription(labels: engineLabels)),
            status: NodeStatus(state: state),
            managerStatus: role == .manager
                ? ManagerStatus(leader: true, reachability: .reachable, addr: "10.0.0.1:4242") : nil)
    }
}

@Suite struct NodeRulesTests {
    @Test func lastManagerCannotBeDemoted() throws {
        let manager = Fixture.node("m", role: .manager)
        var spec = manager.spec
        spec.role = .worker
        #expect(throws: StarlingError.self) { try NodeRules.validateUpdate(of: manager, to: spec, in: [manager]) }
        let other = Fixture.node("m2", role: .manager)
        try NodeRules.validateUpdate(of: manager, to: spec, in: [manager, other])
    }

    @Test func emptyLabelKeyRefused() {
        let node = Fixture.node("w")
        var spec = node.spec
        spec.labels[""] = "x"
        #expect(throws: StarlingError.self) { try NodeRules.validateUpdate(of: node, to: spec, in: [node]) }
    }

    @Test func removalRules() throws {
        let ready = Fixture.node("w1")
        let down = Fixture.node("w2", state: .down)
        let manager = Fixture.node("m", role: .manager, state: .down)
        #expect(throws: StarlingError.self) { try NodeRules.validateRemoval(of: ready, force: false) }
        try NodeRules.validateRemoval(of: ready, force: true)
        try NodeRules.validateRemoval(of: down, force: false)
        #expect(throws: StarlingError.self) { try NodeRules.validateRemoval(of: manager, force: true) }
    }

    @Test func filters() throws {
        let nodes = [
            Fixture.node("aaa1", role: .manager, hostname: "hydra", labels: ["storage": "nfs"]),
            Fixture.node(
                "bbb2", hostname: "chimera", labels: ["gpu": "true", "workload": "jupyter"],
                engineLabels: ["disk": "ssd"]),
            Fixture.node("ccc3", hostname: "cerberus", labels: ["gpu": "true", "workload": "ollama"]),
        ]
        func ids(_ json: String) throws -> [String] { try NodeRules.filter(nodes, by: Filters(json: json)).map(\.id) }
        #expect(try ids(#"{"role":{"manager":true}}"#) == ["aaa1"])
        #expect(try ids(#"{"node.label":["gpu=true"]}"#) == ["bbb2", "ccc3"])
        #expect(try ids(#"{"node.label":["workload=ollama"]}"#) == ["ccc3"])
        #expect(try ids(#"{"label":["disk"]}"#) == ["bbb2"])
        #expect(try ids(#"{"name":["chi"]}"#) == ["bbb2"])
        #expect(try ids(#"{"id":["cc"]}"#) == ["ccc3"])
        #expect(try ids(#"{"membership":["accepted"]}"#).count == 3)
        #expect(throws: StarlingError.self) { try ids(#"{"colour":["red"]}"#) }
    }
}
