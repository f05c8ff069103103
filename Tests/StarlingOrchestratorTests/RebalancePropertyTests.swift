import StarlingModel
import StarlingOrchestrator
import StarlingTestSupport
import Testing

/// Seeded random clusters: whatever the layout, rebalancing never leaves fewer tasks running than replicas, comes to
/// rest, and at rest the service is spread within one task across the nodes (or zones) that can take it.
@Suite struct RebalancePropertyTests {
    /// A random cluster: 2–6 nodes, some the service cannot run on, optionally two or three zones to spread over, a
    /// capacity on some nodes, and the replicas placed at random on the nodes that could run them.
    static func randomCluster(_ random: inout SplitMix64) -> ClusterHarness {
        let nodeCount = Int(random.next() % 5) + 2
        let spread = random.next() % 3 == 0
        var nodes: [String: ClusterHarness.NodeInfo] = [:]
        for index in 0..<nodeCount {
            var info = ClusterHarness.NodeInfo()
            info.matches = index == 0 || random.next() % 5 != 0
            if spread { info.zone = ["x", "y", "z"][Int(random.next() % 3)] }
            if index > 0, !spread, random.next() % 4 == 0 { info.capacity = Int(random.next() % 6) }
            nodes["n\(index)"] = info
        }
        let replicas = Int(random.next() % 20) + 1
        let runnable = nodes.filter { $0.value.matches && $0.value.capacity == nil }.map(\.key).sorted()
        var counts: [String: Int] = [:]
        // Skewed on purpose: most tasks land on the first few nodes.
        for _ in 0..<replicas {
            let pick = Int(random.next() % UInt64(runnable.count))
            counts[runnable[min(pick, Int(random.next() % UInt64(runnable.count)))], default: 0] += 1
        }
        return ClusterHarness(
            replicas: UInt64(replicas), nodes: nodes,
            layout: counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            spread: spread)
    }

    @Test func runningNeverDropsAndTheSpreadEndsWithinOne() {
        var random = SplitMix64(seed: 2_024)
        for round in 0..<300 {
            var cluster = Self.randomCluster(&random)
            let replicas = Int(cluster.service.spec.mode.replicas ?? 0)
            var lowest = Int.max
            // One new task in five fails to start: the move is abandoned and tried again later.
            var failures = SplitMix64(seed: UInt64(round))
            let passes = cluster.settle(
                maxPasses: 2_000, fails: { _ in failures.next() % 5 == 0 },
                check: { lowest = min(lowest, $0.running.count) })
            #expect(passes < 2_000, "round \(round) did not come to rest")
            #expect(lowest >= replicas, "round \(round): \(lowest) running of \(replicas)")
            #expect(cluster.running.count == replicas, "round \(round)")
            #expect(Self.isEven(cluster), "round \(round): \(cluster.runningPerNode) \(cluster.nodes)")
        }
    }

    /// The reference for "even", written directly: without spread, the nodes that can run the service (and have
    /// room for one more, or already hold more) are within one task; with spread, so are the zones, and the nodes
    /// within each zone.
    static func isEven(_ cluster: ClusterHarness) -> Bool {
        let counts = cluster.runningPerNode
        let usable = cluster.nodes.filter(\.value.matches)
        func withinOne(_ group: [String]) -> Bool {
            // A node may lag behind only if it is full.
            let most = group.map { counts[$0] ?? 0 }.max() ?? 0
            return group.allSatisfy { node in
                let count = counts[node] ?? 0
                return count >= most - 1 || count >= (cluster.nodes[node]?.capacity ?? .max)
            }
        }
        let spreads = !(cluster.service.spec.taskTemplate.placement?.preferences ?? []).isEmpty
        guard spreads else { return withinOne(Array(usable.keys)) }
        let zones = Dictionary(grouping: usable.keys, by: { cluster.nodes[$0]?.zone ?? "" })
        let totals = zones.values.map { $0.reduce(0) { $0 + (counts[$1] ?? 0) } }
        return (totals.max() ?? 0) - (totals.min() ?? 0) <= 1 && zones.values.allSatisfy(withinOne)
    }
}
