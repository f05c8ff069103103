import StarlingModel
import StarlingOrchestrator
import StarlingScheduler
import StarlingStore

/// One scheduling pass over a snapshot: every task waiting for a node (observed `new` or `pending`, desired
/// `running`, or `complete` for a job's) is placed by the scheduler, batched per service and spec; what cannot be placed stays `pending` with
/// the scheduler's explanation in `Status.Err`, as `docker service ps` shows it. Pure: the loop writes the result.
public enum SchedulingPass {
    /// A task's new node and status.
    public struct Decision: Hashable, Sendable {
        public var taskID: String
        public var nodeID: String?
        public var status: TaskStatus
        /// The node's generic resources given to the task (`AssignedGenericResources`): the named units it took
        /// and the counts it reserved.
        public var genericResources: [GenericResource]?
    }

    public static func run(snapshot: ClusterSnapshot, now: Timestamp, seed: UInt64) -> [Decision] {
        let tasks = snapshot.all(SwarmTask.self)
        let waiting = tasks.filter {
            $0.isWanted && ($0.status.state == .new || $0.status.state == .pending)
        }
        guard !waiting.isEmpty else { return [] }
        let services = Dictionary(uniqueKeysWithValues: snapshot.all(SwarmService.self).map { ($0.id, $0) })

        // What the nodes already carry: tasks placed and not finished.
        var load: [String: CommittedLoad] = [:]
        for task in tasks {
            guard let nodeID = task.nodeID, task.status.state >= .assigned, !task.status.state.isTerminal,
                task.isWanted
            else { continue }
            var committed = load[nodeID] ?? CommittedLoad()
            let reservation = task.spec.resources?.reservations
            committed.reserved.nanoCPUs += reservation?.nanoCPUs ?? 0
            committed.reserved.memoryBytes += reservation?.memoryBytes ?? 0
            for resource in task.genericResources ?? [] {
                switch resource {
                case .discrete(let kind, let value): committed.reserved.discrete[kind, default: 0] += value
                case .named(let kind, let value): committed.reserved.named[kind, default: []].insert(value)
                }
            }
            committed.tasksByService[task.serviceID, default: 0] += 1
            committed.taskCount += 1
            load[nodeID] = committed
        }
        let nodes = snapshot.all(Node.self).map { node in
            SchedulableNode(
                node, runtimes: OrchestrationPass.runtimes(of: node), committed: load[node.id] ?? CommittedLoad())
        }

        // Batches: tasks of one service with the same spec (and, for global tasks, the same node).
        var batches: [String: [SwarmTask]] = [:]
        var order: [String] = []
        for task in waiting.sorted(by: { ($0.serviceID, $0.slot ?? 0, $0.id) < ($1.serviceID, $1.slot ?? 0, $1.id) }) {
            let key = "\(task.serviceID)|\(task.nodeID ?? "")|\(task.spec.hashValue)"
            if batches[key] == nil { order.append(key) }
            batches[key, default: []].append(task)
        }
        let requests = order.compactMap { key -> TaskRequest? in
            guard let batch = batches[key], let first = batch.first else { return nil }
            let service = services[first.serviceID]
            let placement = first.spec.placement
            let reservations = first.spec.resources?.reservations
            var generic: [String: Int64] = [:]
            for resource in reservations?.genericResources ?? [] {
                if case .discrete(let kind, let value) = resource { generic[kind, default: 0] += value }
            }
            return TaskRequest(
                serviceID: first.serviceID, taskIDs: batch.map(\.id),
                runtime: first.spec.effectiveRuntime(serviceLabels: service?.spec.labels).rawValue,
                reservations: ResourceRequest(
                    nanoCPUs: reservations?.nanoCPUs ?? 0, memoryBytes: reservations?.memoryBytes ?? 0, generic: generic
                ),
                constraints: placement?.constraints ?? [],
                platforms: (placement?.platforms ?? []).map {
                    TargetPlatform(os: $0.os ?? "", architecture: $0.architecture ?? "")
                },
                spread: (placement?.preferences ?? []).compactMap { $0.spread?.spreadDescriptor },
                maxReplicasPerNode: Int(placement?.maxReplicas ?? 0), node: first.nodeID)
        }
        let plan = Scheduler.plan(for: requests, on: nodes, seed: seed)

        var decisions: [Decision] = []
        let byID = Dictionary(uniqueKeysWithValues: waiting.map { ($0.id, $0) })
        for assignment in plan.assignments {
            guard let task = byID[assignment.taskID] else { continue }
            var status = task.status
            status.timestamp = now
            status.state = .assigned
            status.message = "scheduler assigned task to node"
            status.err = nil
            decisions.append(
                Decision(
                    taskID: task.id, nodeID: assignment.nodeID, status: status,
                    genericResources: Self.assigned(task, named: assignment.namedResources)))
        }
        for unplaced in plan.unplaced {
            for id in unplaced.taskIDs {
                guard let task = byID[id] else { continue }
                // Write only what changes, so an unplaceable task does not make the store churn.
                guard task.status.state != .pending || task.status.err != unplaced.explanation else { continue }
                var status = task.status
                status.timestamp = now
                status.state = .pending
                status.message = "pending task scheduling"
                status.err = unplaced.explanation
                decisions.append(
                    Decision(
                        taskID: task.id, nodeID: task.nodeID, status: status, genericResources: task.genericResources))
            }
        }
        return decisions
    }

    /// What a placed task holds of its node's generic resources: the named units the scheduler gave it, and the
    /// rest of each requested kind as a count. Nil when it asked for none.
    static func assigned(_ task: SwarmTask, named: [String: [String]]) -> [GenericResource]? {
        var held: [GenericResource] = []
        for resource in task.spec.resources?.reservations?.genericResources ?? [] {
            guard case .discrete(let kind, let units) = resource else { continue }
            let names = named[kind] ?? []
            held += names.sorted().map { GenericResource.named(kind: kind, value: $0) }
            if units > Int64(names.count) { held.append(.discrete(kind: kind, value: units - Int64(names.count))) }
        }
        return held.isEmpty ? nil : held
    }
}
