import StarlingModel
import Testing

@testable import StarlingScheduler

@Suite struct ConstraintParsingTests {
    @Test(arguments: [
        ("node.labels.zone==a", PlacementConstraint.Key.nodeLabel("zone"), PlacementConstraint.Operator.equal, "a"),
        ("node.role != manager", .nodeRole, .notEqual, "manager"),
        ("  engine.labels.disk  ==  ssd  ", .engineLabel("disk"), .equal, "ssd"),
        ("node.id==abc123", .nodeID, .equal, "abc123"),
        ("node.hostname==web-1.example.com", .nodeHostname, .equal, "web-1.example.com"),
        ("node.platform.os==linux", .nodePlatformOS, .equal, "linux"),
        ("node.platform.arch==x86_64", .nodePlatformArch, .equal, "x86_64"),
        ("NODE.ROLE==Manager", .nodeRole, .equal, "Manager"),
        ("Node.Labels.Zone==a", .nodeLabel("Zone"), .equal, "a"),
        ("ENGINE.labels.os==ubuntu 22.04", .engineLabel("os"), .equal, "ubuntu 22.04"),
        ("node.labels.path==/data/[a-z]+(x|y)?$", .nodeLabel("path"), .equal, "/data/[a-z]+(x|y)?$"),
        ("node.labels.a.b-c_d==v", .nodeLabel("a.b-c_d"), .equal, "v"),
        ("\tnode.labels.zone\t!=\tb\n", .nodeLabel("zone"), .notEqual, "b"),
    ])
    func parsesValidExpressions(
        expression: String, key: PlacementConstraint.Key, op: PlacementConstraint.Operator, value: String
    ) throws {
        let constraint = try PlacementConstraint(expression)
        #expect(constraint.key == key)
        #expect(constraint.op == op)
        #expect(constraint.value == value)
    }

    @Test(arguments: [
        ("", "expected one operator from ==, !="),
        (" ", "expected one operator from ==, !="),
        ("node.labels.zone", "expected one operator from ==, !="),
        ("node.labels.zone=a", "expected one operator from ==, !="),
        ("node.role ~ manager", "expected one operator from ==, !="),
        ("node.labels.zone>=a", "expected one operator from ==, !="),
        ("==a", "key '' is invalid"),
        ("1node==a", "key '1node' is invalid"),
        ("no de==a", "key 'no de' is invalid"),
        ("node.labels.z*ne==a", "key 'node.labels.z*ne' is invalid"),
        ("node.labels.zone==", "value '' is invalid"),
        ("node.labels.zone==   ", "value '' is invalid"),
        ("node.labels.zone==a!=b", "value 'a!=b' is invalid"),
        ("node.labels.zone===a", "value '=a' is invalid"),
        ("node.labels.zone==a,b", "value 'a,b' is invalid"),
        ("node.labels.zone==\"a\"", "value '\"a\"' is invalid"),
    ])
    func rejectsMalformedExpressions(expression: String, reason: String) {
        #expect(throws: StarlingError.invalidArgument("invalid constraint \"\(expression)\": \(reason)")) {
            try PlacementConstraint(expression)
        }
    }

    @Test(arguments: ["node.name==a", "node.labels.==a", "engine.labels.==a", "labels.zone==a", "node.ip==10.0.0.1"])
    func rejectsUnknownKeysNamingTheExpression(expression: String) throws {
        let error = try #require(throws: StarlingError.self) { try PlacementConstraint(expression) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.hasPrefix("invalid constraint \"\(expression)\": unknown key '"))
    }

    @Test func parseStopsAtTheFirstInvalidExpression() {
        #expect(throws: StarlingError.invalidArgument("invalid constraint \"bad\": expected one operator from ==, !="))
        {
            try PlacementConstraint.parse(["node.role==worker", "bad", "also bad"])
        }
        #expect((try? PlacementConstraint.parse(["node.role==worker", "node.labels.a!=b"]))?.count == 2)
    }

    @Test func describesItselfCanonically() throws {
        #expect(try PlacementConstraint(" NODE.labels.zone != a ").description == "node.labels.zone!=a")
    }
}

@Suite struct ConstraintMatchingTests {
    let node = Fixture.node(
        "id-1", hostname: "Web-1", role: .manager, os: "linux", arch: "x86_64",
        labels: ["zone": "Eu-West", "Disk": "ssd"], engineLabels: ["storage": "nvme"])

    func matches(_ expression: String) throws -> Bool {
        try PlacementConstraint(expression).matches(node)
    }

    @Test func eachKeyKindMatches() throws {
        #expect(try matches("node.id==id-1"))
        #expect(try matches("node.hostname==Web-1"))
        #expect(try matches("node.role==manager"))
        #expect(try matches("node.platform.os==linux"))
        #expect(try matches("node.platform.arch==x86_64"))
        #expect(try matches("node.labels.zone==Eu-West"))
        #expect(try matches("engine.labels.storage==nvme"))
        #expect(try !matches("node.id==id-2"))
        #expect(try !matches("node.role==worker"))
        #expect(try !matches("engine.labels.storage==sata"))
    }

    @Test func notEqualIsTheNegation() throws {
        #expect(try matches("node.role!=worker"))
        #expect(try !matches("node.role!=manager"))
        #expect(try !matches("node.labels.zone!=eu-west"))
    }

    /// SwarmKit compares every value with `strings.EqualFold`: roles, hostnames and label values alike.
    @Test func valuesCompareCaseInsensitively() throws {
        #expect(try matches("node.role==MANAGER"))
        #expect(try matches("node.hostname==web-1"))
        #expect(try matches("node.labels.zone==eu-west"))
        #expect(try matches("node.platform.os==Linux"))
        #expect(try matches("node.id==ID-1"))
    }

    /// …but the label name after the prefix is looked up exactly.
    @Test func labelNamesAreCaseSensitive() throws {
        #expect(try matches("node.labels.Disk==ssd"))
        #expect(try !matches("node.labels.disk==ssd"))
        #expect(try !matches("node.labels.Zone==eu-west"))
    }

    /// A missing label (or hostname) is the empty string: `==` fails and `!=` holds.
    @Test func missingLabelsCompareAsEmpty() throws {
        #expect(try !matches("node.labels.rack==r1"))
        #expect(try matches("node.labels.rack!=r1"))
        #expect(try !matches("engine.labels.gpu==yes"))
        #expect(try matches("engine.labels.gpu!=yes"))
        let anonymous = Fixture.node("x", hostname: "")
        #expect(try PlacementConstraint("node.hostname!=web-1").matches(anonymous))
    }

    @Test func nonASCIIValuesFoldToo() throws {
        let node = Fixture.node("x", labels: ["city": "Zürich"])
        #expect(try PlacementConstraint("node.labels.city==a").matches(node) == false)
        #expect(PlacementConstraint(key: .nodeLabel("city"), op: .equal, value: "ZÜRICH").matches(node))
    }
}

@Suite struct SpreadDescriptorTests {
    @Test func supportsNodeAndEngineLabels() throws {
        #expect(SpreadDescriptor("node.labels.zone") == .nodeLabel("zone"))
        #expect(SpreadDescriptor(" Engine.Labels.rack ") == .engineLabel("rack"))
        #expect(SpreadDescriptor("node.hostname") == nil)
        #expect(SpreadDescriptor("node.labels.") == nil)
        #expect(try SpreadDescriptor.parse("node.labels.zone").description == "node.labels.zone")
        #expect(
            throws: StarlingError.invalidArgument(
                "invalid spread descriptor \"node.id\": use node.labels.<label> or engine.labels.<label>")
        ) { try SpreadDescriptor.parse("node.id") }
    }

    @Test func aNodeWithoutTheLabelHasTheEmptyValue() {
        let node = Fixture.node("x", labels: ["zone": "a"])
        #expect(SpreadDescriptor.nodeLabel("zone").value(of: node) == "a")
        #expect(SpreadDescriptor.nodeLabel("rack").value(of: node) == "")
    }
}
