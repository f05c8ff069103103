import StarlingModel

// Logs travel from the agents that ran the tasks to the manager that serves `GET /services/{id}/logs`, as in
// SwarmKit's log broker: the manager pushes a `LogSubscription` on the node's session; the agent answers with
// `LogBatch`es (`DispatcherService.Method.publishLogs`), the last one `done`, and stops when an acknowledgement says
// so or the manager ends the subscription.

/// Which tasks' output a node should send, and how much of it.
public struct LogSubscription: Codable, Hashable, Sendable {
    /// Names the subscription in the node's batches; unique per manager.
    public var id: String
    /// Tasks this node runs or ran.
    public var taskIDs: [String]
    /// Keep sending new output until the subscription ends (otherwise: what is kept, then `done`).
    public var follow: Bool
    public var stdout: Bool
    public var stderr: Bool
    /// Only entries at or after this time.
    public var since: Timestamp?
    /// Only the last `tail` kept entries of each task (then new ones, when following).
    public var tail: Int?

    public init(
        id: String, taskIDs: [String], follow: Bool, stdout: Bool = true, stderr: Bool = true,
        since: Timestamp? = nil, tail: Int? = nil
    ) {
        self.id = id
        self.taskIDs = taskIDs
        self.follow = follow
        self.stdout = stdout
        self.stderr = stderr
        self.since = since
        self.tail = tail
    }
}

/// One entry of a task's output.
public struct LogRecord: Codable, Hashable, Sendable {
    public enum Stream: String, Codable, Hashable, Sendable {
        case stdout
        case stderr
    }

    public var taskID: String
    public var stream: Stream
    public var time: Timestamp
    /// The text the task wrote, with its newline.
    public var message: String

    public init(taskID: String, stream: Stream, time: Timestamp, message: String) {
        self.taskID = taskID
        self.stream = stream
        self.time = time
        self.message = message
    }
}

/// Entries a node sends for one subscription. `done` ends the node's part of the subscription; `unavailable` names
/// the subscribed tasks whose logs this node does not have (never ran here, or already removed).
public struct LogBatch: Codable, Hashable, Sendable {
    public var subscriptionID: String
    public var records: [LogRecord]
    public var done: Bool
    public var unavailable: [String]

    public init(subscriptionID: String, records: [LogRecord], done: Bool = false, unavailable: [String] = []) {
        self.subscriptionID = subscriptionID
        self.records = records
        self.done = done
        self.unavailable = unavailable
    }
}

/// The manager's answer to a batch: whether anyone still reads the subscription.
public struct LogBatchAck: Codable, Hashable, Sendable {
    public var proceed: Bool

    public init(proceed: Bool) { self.proceed = proceed }
}
