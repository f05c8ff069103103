import StarlingModel

/// What a request's static filters (ready, runtime, constraints, platform) make of every node. Those filters look
/// only at what a node is, never at what it holds, so the answer is computed once per distinct
/// (runtime, constraints, platforms) and shared by every request that has them: one-off tasks with the same
/// constraint cost one pass over the nodes, not one each.
struct StaticEligibility: Sendable {
    /// The key requests share this answer by.
    struct Key: Hashable, Sendable {
        var runtime: String
        var constraints: [String]
        var platforms: [TargetPlatform]
        /// Only this node is considered.
        var node: String?

        init(_ request: TaskRequest) {
            runtime = request.runtime
            constraints = request.constraints
            platforms = request.platforms
            node = request.node
        }
    }

    /// Why no node can be considered, e.g. an invalid constraint (validated at the API, but a stored spec may
    /// predate a rule).
    var error: String?
    /// Per node, the raw value of the first static filter it fails, 0 if it passes them all. A node the request
    /// does not consider (another node than `Key.node`) has `notConsidered`.
    var firstFailure: [UInt8]
    /// The nodes that pass, in table order.
    var passing: [Int32]

    static let notConsidered: UInt8 = 0xFF

    init(_ key: Key, table: NodeTable) {
        firstFailure = [UInt8](repeating: Self.notConsidered, count: table.count)
        passing = []
        let constraints: [PlacementConstraint]
        do throws(StarlingError) {
            constraints = try PlacementConstraint.parse(key.constraints)
        } catch {
            self.error = error.message
            return
        }
        for (index, node) in table.nodes.enumerated() where key.node == nil || key.node == node.id {
            let failure = Self.firstFailure(node, key, constraints)
            firstFailure[index] = failure?.rawValue ?? 0
            if failure == nil { passing.append(Int32(index)) }
        }
        if let id = key.node, !table.nodes.contains(where: { $0.id == id }) {
            error = "node \(id) not found"
        }
    }

    private static func firstFailure(
        _ node: SchedulableNode, _ key: Key, _ constraints: [PlacementConstraint]
    ) -> SchedulingFilter? {
        if node.state != .ready || node.availability != .active { return .ready }
        if !key.runtime.isEmpty, !node.runtimes.contains(key.runtime) { return .runtime }
        if !constraints.allSatisfy({ $0.matches(node) }) { return .constraints }
        if !key.platforms.isEmpty, !key.platforms.contains(where: { $0.accepts(node.platform) }) { return .platform }
        return nil
    }

    /// The static filter `node` fails first, if any (nil also for a node the request does not consider).
    func failure(_ node: Int32) -> SchedulingFilter? {
        SchedulingFilter(rawValue: firstFailure[Int(node)])
    }

    func passes(_ node: Int32) -> Bool {
        firstFailure[Int(node)] == 0
    }

    func considers(_ node: Int32) -> Bool {
        firstFailure[Int(node)] != Self.notConsidered
    }
}

/// Every node's value for one spread descriptor, numbered, so the spread tree groups nodes by comparing integers.
struct SpreadValues: Sendable {
    /// Per node, the number of its value.
    var valueOfNode: [Int32]

    init(_ descriptor: SpreadDescriptor, table: NodeTable) {
        var numbers: [String: Int32] = [:]
        valueOfNode = table.nodes.map { node in
            let value = descriptor.value(of: node)
            if let number = numbers[value] { return number }
            let number = Int32(numbers.count)
            numbers[value] = number
            return number
        }
    }
}
