/// Which log entries to read: the query of a logs request, and what a manager asks of the nodes that ran the
/// tasks.
public struct TaskLogOptions: Hashable, Sendable {
    /// Keep the stream open and send new entries as they are written.
    public var follow: Bool
    public var stdout: Bool
    public var stderr: Bool
    /// Only entries written at or after this time.
    public var since: Timestamp?
    /// Only the last `tail` entries of each task (then new ones, when following); nil for all of them.
    public var tail: Int?

    public init(
        follow: Bool = false, stdout: Bool = true, stderr: Bool = true, since: Timestamp? = nil, tail: Int? = nil
    ) {
        self.follow = follow
        self.stdout = stdout
        self.stderr = stderr
        self.since = since
        self.tail = tail
    }
}
