import StarlingModel

/// Moves tasks of replicated services from over-loaded nodes onto under-loaded ones, a few at a time and start-first,
/// so that a service that became uneven (a node joined or came back, a drain or pause ended) spreads out again.
/// Docker Swarm never does this (moby/moby#24103).
///
/// **On by default.** A service opts out with the label `io.starling.rebalance=false` (`serviceLabel`; any other
/// value, or none, leaves it on). Global services and jobs are never rebalanced; nor is a service whose update or
/// rollback is in progress, whose slots are not all running their up-to-date task, or which the replicated
/// orchestrator has other work for in this pass.
///
/// **Even.** The nodes are arranged as the scheduler arranges them for the service: a tree whose levels are the
/// service's spread preferences (a node without the label is in a group of its own) and whose leaves are the nodes.
/// The service is even when no two siblings X and Y anywhere in that tree (the root's children included) have
/// `tasks(X) − tasks(Y) ≥ 2` while X holds a running task on an eligible node and Y holds an eligible node that can
/// take one more task of the service. Without spread preferences this is "max − min ≤ 1 over the eligible nodes",
/// leaving out nodes that can take no more. Eligible is what the scheduler requires of a node (ready, active,
/// runtime, constraints, platform); "can take one more" adds resources, host ports and max replicas per node, and is
/// asked of the caller (`room`), which asks the scheduler. Tasks on nodes that are not eligible (paused, say) count
/// for their group but are never moved, and such a node is never a target. A move between siblings lowers the sum
/// of squared task counts at their level and changes no level above it, so rebalancing always comes to rest.
///
/// **A move** creates a task in the slot with the old task's spec, pinned to the target node (its `NodeID` is set;
/// the scheduler still runs its filters) and labelled `movedFromLabel` with the old task's ID. Once the new task is
/// `running`, the replicated orchestrator shuts the old one down. If the new task fails, cannot be placed, loses its
/// node or is not running after `Policy.moveTimeout`, the move is abandoned: the new task is shut down, the old one
/// keeps running, and the rebalancer may try again later. A move never lowers the number of running tasks.
///
/// **Rate.** At most `Policy.maxMovesPerService` moves of a service in flight and `Policy.maxMovesInCluster` in the
/// whole cluster; a service's next batch of moves starts at least `Policy.minInterval` after its previous one
/// started, and the plan asks to be woken then.
public enum Rebalancer {
    /// The service label that turns rebalancing off: `io.starling.rebalance=false`.
    public static let serviceLabel = "io.starling.rebalance"
    /// The label on the new task of a move: the ID of the task it replaces.
    public static let movedFromLabel = "io.starling.rebalance.moved-from"

    /// How fast rebalancing may go.
    public struct Policy: Hashable, Sendable {
        /// Moves of one service in flight at once (new task created, not yet running).
        public var maxMovesPerService: Int
        /// Moves in flight at once over all services, so that a node that joins is not flooded.
        public var maxMovesInCluster: Int
        /// Nanoseconds between the starts of two batches of moves of one service.
        public var minInterval: Int64
        /// Nanoseconds a move's new task has to reach `running` before the move is abandoned.
        public var moveTimeout: Int64

        public init(maxMovesPerService: Int, maxMovesInCluster: Int, minInterval: Int64, moveTimeout: Int64) {
            self.maxMovesPerService = maxMovesPerService
            self.maxMovesInCluster = maxMovesInCluster
            self.minInterval = minInterval
            self.moveTimeout = moveTimeout
        }

        /// 2 moves per service and 8 in the cluster in flight, batches 1 s apart, 5 min for a new task to start.
        public static let `default` = Policy(
            maxMovesPerService: 2, maxMovesInCluster: 8, minInterval: 1_000_000_000, moveTimeout: 300_000_000_000)
    }

    /// What the rebalancer needs to know about a node, for one service.
    public struct NodeFacts: Hashable, Sendable {
        public var id: String
        /// Ready, active, and passes the service's static filters (runtime, constraints, platform).
        public var eligible: Bool
        /// The node's values of the service's spread descriptors, outermost first ("" where it lacks the label).
        public var spreadPath: [String]
        /// The tasks of every service on the node: between equal nodes, the one with fewer is the target.
        public var taskCount: Int

        public init(id: String, eligible: Bool, spreadPath: [String] = [], taskCount: Int = 0) {
            self.id = id
            self.eligible = eligible
            self.spreadPath = spreadPath
            self.taskCount = taskCount
        }
    }

    /// Whether `service` may be rebalanced at all: replicated, not opted out, no update or rollback in progress.
    public static func isEnabled(for service: SwarmService) -> Bool {
        guard case .replicated = service.spec.mode else { return false }
        if service.spec.labels?[serviceLabel]?.lowercased() == "false" { return false }
        switch service.updateStatus?.state {
        case .updating, .rollbackStarted: return false
        default: return true
        }
    }

    /// The moves in flight among `tasks` (of any services): new tasks of moves that are wanted and not yet running.
    public static func movesInFlight(_ tasks: [SwarmTask]) -> Int {
        tasks.count { $0.movedFrom != nil && $0.isWanted && $0.status.state < .running }
    }

    /// The moves to start for `service` now, or a wake-up when the next batch may start. `nodeIDs` are the IDs of all
    /// the nodes; `nodes` describes them, and is computed only for a service that is settled and might be uneven;
    /// `room(node, upTo)` says how many more tasks of the service (0 ... `upTo`) the scheduler could place on an
    /// eligible node now; it is asked only about nodes that would be useful targets. `clusterBudget` is how many
    /// more moves the cluster may have in flight.
    public static func plan(
        service: SwarmService, tasks: [SwarmTask], nodeIDs: Set<String>, nodes: @autoclosure () -> [NodeFacts],
        policy: Policy = .default,
        clusterBudget: Int = .max, now: Timestamp, makeID: () -> String, room: (_ node: String, _ upTo: Int) -> Int
    ) -> OrchestrationPlan {
        var plan = OrchestrationPlan()
        guard isEnabled(for: service), case .replicated(let replicas) = service.spec.mode,
            let census = SlotCensus(tasks: tasks, replicas: Int(replicas))
        else { return plan }
        let budget = min(policy.maxMovesPerService - census.inFlight.count, clusterBudget)
        guard budget > 0 else { return plan }
        // Without spread preferences, a service within one task across all the nodes is within one across the
        // eligible ones: skip looking at the nodes (thousands, in a large cluster).
        let spreads = !(service.spec.taskTemplate.placement?.preferences ?? []).isEmpty
        guard spreads || census.spread(over: nodeIDs) >= 2, census.allRun(service.taskSpecForNewTasks) else {
            return plan
        }

        var balance = Balance(nodes: nodes(), census: census, upTo: budget)
        var moves: [(task: SwarmTask, target: String)] = []
        while moves.count < budget, let move = balance.nextMove(ask: room) { moves.append(move) }
        guard !moves.isEmpty else { return plan }
        if let last = census.lastMoveStart {
            let next = last.adding(nanoseconds: policy.minInterval)
            if now < next {
                plan.wake(at: next)
                return plan
            }
        }
        for (old, target) in moves {
            var labels = old.labels ?? [:]
            labels[movedFromLabel] = old.id
            plan.create.append(
                SwarmTask(
                    id: makeID(), createdAt: now, updatedAt: now, labels: labels, spec: old.spec,
                    serviceID: service.id, slot: old.slot, nodeID: target,
                    status: TaskStatus(timestamp: now, state: .new, message: "created"), desiredState: .running))
        }
        return plan
    }
}

/// A replicated service's slots when it is settled enough to rebalance: every one of its `replicas` slots holds one
/// running task, or a move in flight whose old task runs. Nil otherwise. (Whether they are up to date is asked
/// apart, as it is the costlier question.)
struct SlotCensus {
    /// The running task of each slot without a move in flight.
    var settled: [SwarmTask] = []
    var inFlight: [SlotMove] = []
    /// When the service's latest move started.
    var lastMoveStart: Timestamp?
    /// Tasks per node, counting moves on their new node.
    var perNode: [String: Int] = [:]

    init?(tasks: [SwarmTask], replicas: Int) {
        let wanted = tasks.filter { ($0.slot ?? 0) > 0 && $0.isWanted }
        let bySlot = Dictionary(grouping: wanted, by: { $0.slot ?? 0 })
        guard replicas > 0, bySlot.count == replicas else { return nil }
        for (_, slot) in bySlot {
            if let move = SlotMove.find(in: slot), slot.count == 2 {
                guard move.old.status.state == .running else { return nil }
                inFlight.append(move)
            } else {
                guard slot.count == 1, let task = slot.first, task.status.state == .running else { return nil }
                settled.append(task)
            }
        }
        lastMoveStart = tasks.filter { $0.movedFrom != nil }.map(\.createdAt).max()
        for task in settled + inFlight.map(\.new) { perNode[task.nodeID ?? "", default: 0] += 1 }
    }

    /// Whether every task that runs (or is being moved) has `spec`: no update is under way or left half done.
    func allRun(_ spec: TaskSpec) -> Bool {
        settled.allSatisfy { $0.spec == spec } && inFlight.allSatisfy { $0.old.spec == spec }
    }

    /// The most tasks on one of `nodes` minus the fewest.
    func spread(over nodes: Set<String>) -> Int {
        let known = perNode.filter { nodes.contains($0.key) }
        let most = known.values.max() ?? 0
        let fewest = known.count < nodes.count ? 0 : known.values.min() ?? 0
        return most - fewest
    }
}
