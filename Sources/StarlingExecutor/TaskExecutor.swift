import StarlingModel

/// A runtime that runs tasks on this node: `process` (a host process) today, an OCI runtime later. The boundary is
/// containerd's: prepare (create), then the handle starts, signals, waits for and deletes the task.
public protocol TaskExecutor: Sendable {
    /// The `TaskSpec.Runtime` value this executor serves (`"process"`).
    var runtime: String { get }

    /// Does everything that may take a while or fail before the task can start: the task's directory, its cgroup,
    /// resolving its user and command (an OCI runtime: pulling the image, the root file system, the bundle). The
    /// task does not run yet.
    func prepare(_ task: ExecutableTask) async throws -> any TaskHandle
}

/// One prepared task. Lifecycle: `start` once, `wait` any number of times, `stop` any time (a no-op once the task
/// has ended), `remove` last (stopping the task first if it still runs). Calls out of order throw
/// `StarlingError.invalidState` naming the operation.
public protocol TaskHandle: Sendable {
    /// The task's ID.
    var taskID: String { get }

    /// The task's main process while it runs (or the last one it had), `nil` before `start`.
    var pid: Int32? { get }

    /// Starts the task's command. Throws if it cannot be started (the command does not exist, the user is unknown,
    /// the cgroup cannot be joined); the task is then over without having run.
    func start() async throws

    /// Suspends until the task's main process has ended, and reports how. When it returns, the output the process
    /// wrote before it ended is in the log. Cancellable.
    func wait() async throws -> ExitStatus

    /// Sends `signal` to the task (its whole process group), then SIGKILL if it still runs after `gracePeriod`;
    /// returns once it has ended.
    func stop(signal: Int32, gracePeriod: Duration) async throws

    /// Stops the task if it still runs, then deletes what `prepare` created (cgroup, directory, logs).
    func remove() async throws

    /// The task's output: what is kept on disk, oldest first (only the last `tail` entries when it is set), then
    /// (with `follow`) new entries as they come, until no process of the task is left to write (or the task is
    /// removed). Nothing is missed or seen twice between the kept entries and the new ones.
    func logs(follow: Bool, tail: Int?) -> AsyncThrowingStream<LogEntry, any Error>

    /// Runs `command` in the task's environment (user, working directory, variables, cgroup; an OCI runtime: inside
    /// the container), as a health check does. Output is stdout and stderr together, truncated to
    /// `ExecResult.maximumOutput` bytes. After `timeout` the command is killed and `timedOut` is set.
    func exec(_ command: [String], timeout: Duration) async throws -> ExecResult
}

/// The outcome of `TaskHandle.exec`.
public struct ExecResult: Sendable, Equatable {
    /// Docker keeps at most this many bytes of a health check's output.
    public static let maximumOutput = 4096

    /// The command's exit code (128 + signal when it was killed by one).
    public var exitCode: Int32
    /// stdout and stderr, interleaved as written, at most `maximumOutput` bytes.
    public var output: String
    /// Whether the command was killed because it ran past its timeout.
    public var timedOut: Bool

    public init(exitCode: Int32, output: String, timedOut: Bool = false) {
        self.exitCode = exitCode
        self.output = output
        self.timedOut = timedOut
    }
}

/// One chunk of a task's output: a line (with its `\n`), or up to 16 KiB of a longer one, as Docker's json-file
/// driver stores it.
public struct LogEntry: Sendable, Equatable, Codable {
    /// Which of the task's output streams the entry came from.
    public enum Stream: String, Sendable, Codable {
        case stdout
        case stderr
    }

    public var stream: Stream
    /// When the executor read it.
    public var time: Timestamp
    /// The text, including its trailing newline when the line was complete. Bytes that are not UTF-8 are
    /// replaced, as Docker's json-file driver does.
    public var message: String

    public init(stream: Stream, time: Timestamp, message: String) {
        self.stream = stream
        self.time = time
        self.message = message
    }
}
