/// How a task's main process ended: its exit code or the signal that killed it, and whether the kernel's OOM killer
/// did. `errorMessage` is what goes into the task's `Status.Err`, in Docker's words.
public struct ExitStatus: Sendable, Equatable, Codable {
    /// How the process ended.
    public enum Termination: Sendable, Equatable, Codable {
        case exited(code: Int32)
        case signaled(signal: Int32)
    }

    public var termination: Termination
    /// The task's cgroup recorded an OOM kill while it ran.
    public var oomKilled: Bool

    public init(_ termination: Termination, oomKilled: Bool = false) {
        self.termination = termination
        self.oomKilled = oomKilled
    }

    /// From a `waitpid` status word.
    public init(waitStatus: Int32, oomKilled: Bool = false) {
        let signal = waitStatus & 0x7f
        if signal == 0 {
            self.init(.exited(code: (waitStatus >> 8) & 0xff), oomKilled: oomKilled)
        } else {
            self.init(.signaled(signal: signal), oomKilled: oomKilled)
        }
    }

    /// The exit code as Docker reports it: the process's own code, or 128 + the signal that killed it.
    public var exitCode: Int32 {
        switch termination {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    /// The task's `Status.Err`: `nil` for a clean exit, else SwarmKit's `task: non-zero exit (137)`, with the cause
    /// after a colon when one is known (`task: non-zero exit (137): OOM killed`).
    public var errorMessage: String? {
        if exitCode == 0 && !oomKilled { return nil }
        let base = "task: non-zero exit (\(exitCode))"
        return oomKilled ? base + ": OOM killed" : base
    }
}
