import StarlingModel
import Testing

@testable import StarlingScheduler

/// Seeded random clusters and requests: whatever they are, the plan never breaks a filter, leaves nothing pending
/// that some node could take, spreads evenly when there is room, and is the same for the same seed.
@Suite struct PropertyTests {
    static let seeds: [UInt64] = Array(1...40)

    @Test(arguments: seeds)
    func plansNeverBreakAFilterNorLeaveRoomUnused(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let nodes = RandomCluster.nodes(&random)
        let requests = (0..<Int(random.next(below: 12) + 1)).map { index in
            RandomCluster.request(&random, nodes: nodes, index: index)
        }
        let plan = Scheduler.plan(for: requests, on: nodes, seed: seed)
        let problems = ReferenceModel.problems(in: plan, requests: requests, nodes: nodes)
        #expect(problems.isEmpty, "seed \(seed): \(problems.prefix(5))")
        #expect(plan.assignments.count + plan.unplacedCount == requests.reduce(0) { $0 + $1.taskIDs.count })
        for unplaced in plan.unplaced {
            #expect(unplaced.explanation.hasPrefix("no suitable node"), "seed \(seed)")
        }
        #expect(Scheduler.plan(for: requests, on: nodes.reversed(), seed: seed) == plan, "seed \(seed) replays")
    }

    /// Without reservations, ports or a replica limit (so every eligible node has room), a spread batch on a
    /// cluster without tasks of the service leaves the values within one task of each other, at both levels.
    @Test(arguments: seeds)
    func spreadStaysWithinOnePerValue(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let nodes = RandomCluster.nodes(&random)
        let constraint = ["node.role==worker", "node.platform.os==linux", "node.labels.zone!=c"][
            Int(random.next(below: 3))]
        let request = Fixture.request(
            "spread", count: Int(random.next(below: 60) + 1), constraints: [constraint],
            spread: ["node.labels.zone", "node.labels.rack"])
        var harness = Harness(nodes, seed: seed)
        harness.place(request)
        let model = ReferenceModel(nodes)
        let eligible = nodes.filter { model.violations(request, on: $0.id).isEmpty }
        guard !eligible.isEmpty else {
            #expect(harness.plan.assignments.isEmpty)
            return
        }
        #expect(harness.plan.unplaced.isEmpty, "seed \(seed)")
        let zoneOf = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.labels["zone"] ?? "") })
        let rackOf = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.labels["rack"] ?? "") })
        var perZone = Dictionary(eligible.map { (zoneOf[$0.id] ?? "", 0) }, uniquingKeysWith: +)
        var perRack = Dictionary(
            eligible.map { ("\(zoneOf[$0.id] ?? "")/\(rackOf[$0.id] ?? "")", 0) }, uniquingKeysWith: +)
        for assignment in harness.plan.assignments {
            perZone[zoneOf[assignment.nodeID] ?? "", default: 0] += 1
            perRack["\(zoneOf[assignment.nodeID] ?? "")/\(rackOf[assignment.nodeID] ?? "")", default: 0] += 1
        }
        let zoneCounts = Array(perZone.values)
        #expect((zoneCounts.max() ?? 0) - (zoneCounts.min() ?? 0) <= 1, "seed \(seed): zones \(perZone)")
        for zone in Set(perZone.keys) {
            let racks = perRack.filter { $0.key.hasPrefix("\(zone)/") }.map(\.value)
            #expect((racks.max() ?? 0) - (racks.min() ?? 0) <= 1, "seed \(seed): racks of \(zone) \(perRack)")
        }
    }

    /// Without spread and with room everywhere, a batch leaves the service within one task per eligible node.
    @Test(arguments: seeds)
    func batchesEvenOutAcrossNodes(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let nodes = RandomCluster.nodes(&random)
        let request = Fixture.request(
            "even", count: Int(random.next(below: 100) + 1), constraints: ["node.role==worker"])
        var harness = Harness(nodes, seed: seed)
        harness.place(request)
        let model = ReferenceModel(nodes)
        let eligible = nodes.filter { model.violations(request, on: $0.id).isEmpty }
        let counts = harness.counts
        let perNode = eligible.map { (counts[$0.id] ?? 0) + $0.committed.tasksByService["even", default: 0] }
        #expect((perNode.max() ?? 0) - (perNode.min() ?? 0) <= 1, "seed \(seed)")
    }
}

/// Random clusters and requests drawn from a seeded generator, covering every filter.
enum RandomCluster {
    static func pick<T>(_ values: [T], _ random: inout SeededRandom) -> T {
        values[Int(random.next(below: UInt64(values.count)))]
    }

    static func chance(_ percent: UInt64, _ random: inout SeededRandom) -> Bool {
        random.next(below: 100) < percent
    }

    static func nodes(_ random: inout SeededRandom) -> [SchedulableNode] {
        (0..<Int(random.next(below: 30) + 1)).map { index in
            var node = Fixture.node(
                "node-\(index)", role: chance(20, &random) ? .manager : .worker,
                availability: chance(85, &random) ? .active : pick([.pause, .drain], &random),
                state: chance(85, &random) ? .ready : pick([.down, .disconnected], &random),
                os: chance(90, &random) ? "linux" : "windows",
                arch: pick(["x86_64", "amd64", "aarch64", "arm64"], &random),
                cpus: Int64(random.next(below: 8) + 1), memoryGiB: Int64(random.next(below: 16) + 1),
                runtimes: chance(80, &random) ? ["process", "container"] : ["process"])
            if !chance(15, &random) { node.labels["zone"] = pick(["a", "b", "c"], &random) }
            if !chance(15, &random) { node.labels["rack"] = pick(["r1", "r2"], &random) }
            if chance(30, &random) { node.resources.discrete["ssd"] = Int64(random.next(below: 4)) }
            if chance(30, &random) {
                node.resources.named["gpu"] = Set((0..<random.next(below: 4)).map { "GPU-\($0)" })
            }
            for _ in 0..<random.next(below: 4) {
                let service = pick(["svc-0", "svc-1", "svc-2", "other"], &random)
                let ports =
                    chance(30, &random) ? [HostPort(pick([.tcp, .udp], &random), pick([80, 443], &random))] : []
                node.committed.add(
                    serviceID: service,
                    holding: ResourceAmounts(
                        nanoCPUs: Int64(random.next(below: 2)) * Fixture.cpu / 2, memoryBytes: Fixture.gib),
                    hostPorts: ports)
            }
            return node
        }
    }

    /// A request whose task IDs are unique among requests with other `index`es.
    static func request(_ random: inout SeededRandom, nodes: [SchedulableNode], index: Int) -> TaskRequest {
        let constraints: [[String]] = [
            [], [], ["node.role==worker"], ["node.labels.zone==a"], ["node.labels.zone!=b", "node.role!=manager"],
            ["engine.labels.none!=x"], ["node.platform.os==linux"], ["node.hostname!=node-1"],
        ]
        let platforms: [[TargetPlatform]] = [
            [], [], [TargetPlatform(os: "linux", architecture: "amd64")], [TargetPlatform(architecture: "arm64")],
        ]
        let spreads: [[String]] = [[], [], ["node.labels.zone"], ["node.labels.zone", "node.labels.rack"]]
        var generic: [String: Int64] = [:]
        if chance(20, &random) { generic[pick(["ssd", "gpu"], &random)] = Int64(random.next(below: 2) + 1) }
        var request = Fixture.request(
            pick(["svc-0", "svc-1", "svc-2", "svc-3"], &random), count: Int(random.next(below: 25)),
            runtime: pick(["", "", "process", "container"], &random), cpus: pick([0, 0, 0.5, 1, 2], &random),
            memoryGiB: pick([0, 0, 0.5, 2], &random), generic: generic, constraints: pick(constraints, &random),
            platforms: pick(platforms, &random), spread: pick(spreads, &random),
            maxReplicas: Int(pick([0, 0, 1, 2, 3], &random)), ports: chance(20, &random) ? [HostPort(.tcp, 80)] : [],
            node: chance(5, &random) && !nodes.isEmpty ? pick(nodes, &random).id : nil)
        request.taskIDs = request.taskIDs.map { "r\(index)-\($0)" }
        return request
    }
}
