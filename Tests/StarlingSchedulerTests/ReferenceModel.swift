import StarlingModel

@testable import StarlingScheduler

/// A slow, obvious re-implementation of the filters, for checking plans: it replays a plan's assignments on the
/// nodes and says which filter, if any, each one breaks.
struct ReferenceModel {
    struct NodeState {
        var node: SchedulableNode
        var freeCPU: Int64
        var freeMemory: Int64
        var freeDiscrete: [String: Int64]
        var freeNamed: [String: Set<String>]
        var ports: Set<HostPort>
        var tasksByService: [String: Int]
    }

    private(set) var nodes: [String: NodeState] = [:]

    init(_ nodes: [SchedulableNode]) {
        for node in nodes {
            let reserved = node.committed.reserved
            self.nodes[node.id] = NodeState(
                node: node, freeCPU: node.resources.nanoCPUs - reserved.nanoCPUs,
                freeMemory: node.resources.memoryBytes - reserved.memoryBytes,
                freeDiscrete: node.resources.discrete.merging(reserved.discrete.mapValues { -$0 }, uniquingKeysWith: +),
                freeNamed: node.resources.named.reduce(into: [:]) { free, entry in
                    free[entry.key] = entry.value.subtracting(reserved.named[entry.key] ?? [])
                },
                ports: node.committed.hostPorts, tasksByService: node.committed.tasksByService)
        }
    }

    /// The filters `nodeID` fails for one more task of `request`.
    func violations(_ request: TaskRequest, on nodeID: String) -> [SchedulingFilter] {
        guard let state = nodes[nodeID] else { return [.ready] }
        let node = state.node
        var failed: [SchedulingFilter] = []
        if node.state != .ready || node.availability != .active { failed.append(.ready) }
        if !request.runtime.isEmpty && !node.runtimes.contains(request.runtime) { failed.append(.runtime) }
        let reservations = request.reservations
        if !reservations.isEmpty {
            let genericOK = reservations.generic.allSatisfy { kind, units in
                units <= 0 || (state.freeDiscrete[kind] ?? 0) + Int64(state.freeNamed[kind]?.count ?? 0) >= units
            }
            if state.freeCPU < reservations.nanoCPUs || state.freeMemory < reservations.memoryBytes || !genericOK {
                failed.append(.resources)
            }
        }
        let constraints = (try? PlacementConstraint.parse(request.constraints)) ?? []
        if !constraints.allSatisfy({ $0.matches(node) }) { failed.append(.constraints) }
        if !request.platforms.isEmpty && !request.platforms.contains(where: { $0.accepts(node.platform) }) {
            failed.append(.platform)
        }
        if request.hostPorts.contains(where: state.ports.contains) { failed.append(.hostPorts) }
        if request.maxReplicasPerNode > 0
            && state.tasksByService[request.serviceID, default: 0] >= request.maxReplicasPerNode
        {
            failed.append(.maxReplicas)
        }
        if let only = request.node, only != nodeID { failed.append(.constraints) }
        return failed
    }

    /// Records one task of `request` on `nodeID`, with the named units the plan gave it.
    mutating func place(_ request: TaskRequest, on nodeID: String, named: [String: [String]]) {
        guard var state = nodes[nodeID] else { return }
        let reservations = request.reservations
        if !reservations.isEmpty {
            state.freeCPU -= reservations.nanoCPUs
            state.freeMemory -= reservations.memoryBytes
            for (kind, units) in reservations.generic where units > 0 {
                let names = named[kind] ?? []
                state.freeNamed[kind]?.subtract(names)
                state.freeDiscrete[kind, default: 0] -= units - Int64(names.count)
            }
        }
        state.ports.formUnion(request.hostPorts)
        state.tasksByService[request.serviceID, default: 0] += 1
        nodes[nodeID] = state
    }

    /// Replays `plan` (assignments in order) and returns every assignment that breaks a filter, plus every
    /// unplaced request that some node could still have taken at the end.
    static func problems(in plan: SchedulingPlan, requests: [TaskRequest], nodes: [SchedulableNode]) -> [String] {
        var requestOfTask: [String: TaskRequest] = [:]
        for request in requests {
            for task in request.taskIDs { requestOfTask[task] = request }
        }
        var model = ReferenceModel(nodes)
        var problems: [String] = []
        for assignment in plan.assignments {
            guard let request = requestOfTask[assignment.taskID] else {
                problems.append("unknown task \(assignment.taskID)")
                continue
            }
            let violations = model.violations(request, on: assignment.nodeID)
            if !violations.isEmpty { problems.append("\(assignment.taskID) on \(assignment.nodeID): \(violations)") }
            for (kind, names) in assignment.namedResources
            where !(model.nodes[assignment.nodeID]?.freeNamed[kind] ?? []).isSuperset(of: names) {
                problems.append("\(assignment.taskID) got \(kind) units \(names) that were not free")
            }
            model.place(request, on: assignment.nodeID, named: assignment.namedResources)
        }
        for unplaced in plan.unplaced {
            guard let request = unplaced.taskIDs.first.flatMap({ requestOfTask[$0] }) else { continue }
            for id in model.nodes.keys.sorted() where model.violations(request, on: id).isEmpty {
                problems.append("\(unplaced.taskIDs) left pending although \(id) could take one")
            }
        }
        return problems
    }
}
