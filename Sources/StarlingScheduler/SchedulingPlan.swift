/// What the scheduler decided for a set of task requests: where each placed task goes and, for the tasks no node
/// could take, why. A thin loop applies it to the store; `seed` replays it (same nodes, same requests, same seed:
/// same plan).
public struct SchedulingPlan: Hashable, Sendable {
    /// The seed the node order was shuffled with.
    public var seed: UInt64
    /// Placed tasks, in the order they were placed.
    public var assignments: [TaskAssignment]
    /// Tasks left pending, grouped by request, with the explanation to put in their status.
    public var unplaced: [UnplacedTasks]

    public init(seed: UInt64, assignments: [TaskAssignment] = [], unplaced: [UnplacedTasks] = []) {
        self.seed = seed
        self.assignments = assignments
        self.unplaced = unplaced
    }

    /// The node `taskID` was assigned to, if it was placed.
    public func nodeID(of taskID: String) -> String? {
        assignments.first { $0.taskID == taskID }?.nodeID
    }

    /// Why `taskID` was not placed, if it was not.
    public func explanation(of taskID: String) -> String? {
        unplaced.first { $0.taskIDs.contains(taskID) }?.explanation
    }

    /// How many tasks went to each node (nodes that got none are absent).
    public var tasksPerNode: [String: Int] {
        assignments.reduce(into: [:]) { $0[$1.nodeID, default: 0] += 1 }
    }

    /// How many tasks are left pending.
    public var unplacedCount: Int { unplaced.reduce(0) { $0 + $1.taskIDs.count } }
}

/// One task placed on one node.
public struct TaskAssignment: Hashable, Sendable {
    public var taskID: String
    public var serviceID: String
    public var nodeID: String
    /// Named generic resource units given to the task, by kind (e.g. `gpu: ["GPU-1"]`); counted units are not
    /// listed, only their number is reserved.
    public var namedResources: [String: [String]]

    public init(taskID: String, serviceID: String, nodeID: String, namedResources: [String: [String]] = [:]) {
        self.taskID = taskID
        self.serviceID = serviceID
        self.nodeID = nodeID
        self.namedResources = namedResources
    }
}

/// Tasks of one request that no node could take.
public struct UnplacedTasks: Hashable, Sendable {
    public var serviceID: String
    public var taskIDs: [String]
    /// For the task's status error, e.g. `no suitable node (insufficient resources on 2 nodes)`.
    public var explanation: String

    public init(serviceID: String, taskIDs: [String], explanation: String) {
        self.serviceID = serviceID
        self.taskIDs = taskIDs
        self.explanation = explanation
    }
}
