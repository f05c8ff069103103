import Foundation
import StarlingModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A command line resolved for starting: absolute executable, environment, working directory, credentials.
struct LaunchSpec: Sendable, Equatable {
    var executable: String
    /// Arguments after the executable.
    var arguments: [String]
    var environment: [String]
    var workingDirectory: String
    /// `nil`: the executor's own user.
    var credentials: Credentials?
    /// `setpriv`'s path, when `credentials` is set.
    var setpriv: String?
}

/// Starts children with `posix_spawn` (never `fork` in a multi-threaded Swift process, never Foundation's
/// `Process`), each in a new session (so its own process group) with an empty signal mask, default signal
/// dispositions, `/dev/null` as input, and no descriptors but 0–3.
///
/// The child is a tiny `/bin/sh` trampoline that blocks reading descriptor 3 until the parent has put it into the
/// task's cgroup, so not one instruction of the command runs outside it; then it closes 3, changes directory,
/// and execs the command (through `setpriv` when it must change user, since `posix_spawn` cannot). The pid stays
/// the same through each exec, so the pid the parent placed is the command's.
enum ChildLauncher {
    /// `$1` is the working directory; the rest is the command. Exit 125 (Docker's "the runtime failed") if the
    /// parent closes the gate without opening it.
    static let trampoline = #"read -r _ <&3 || exit 125; exec 3<&-; cd "$1" || exit 125; shift; exec "$@""#

    /// A started child waiting at its gate.
    struct Gated: Sendable {
        let pid: pid_t
        /// Write end of the gate: `open` lets the child run, `abandon` makes it exit 125.
        let gate: Int32

        func open() {
            Descriptors.writeAll(gate, Array("go\n".utf8))
            close(gate)
        }

        func abandon() { close(gate) }
    }

    /// The full argument vector of the trampoline for `spec`.
    static func arguments(for spec: LaunchSpec) -> [String] {
        var command: [String] = []
        if let credentials = spec.credentials, let setpriv = spec.setpriv {
            let groups = credentials.groups.map(String.init).joined(separator: ",")
            command += [
                setpriv, "--reuid=\(credentials.uid)", "--regid=\(credentials.gid)",
                credentials.groups.isEmpty ? "--clear-groups" : "--groups=\(groups)", "--",
            ]
        }
        command += [spec.executable] + spec.arguments
        return ["/bin/sh", "-c", trampoline, "starling-task", spec.workingDirectory] + command
    }

    /// Spawns the trampoline for `spec` with `stdout` and `stderr` as its output; the child waits at the gate.
    /// The caller keeps ownership of `stdout` and `stderr` (it closes its copies after this returns).
    static func spawn(_ spec: LaunchSpec, stdout: Int32, stderr: Int32) throws -> Gated {
        let gate = try Descriptors.pipe()
        defer { close(gate.read) }

        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // dup2 clears close-on-exec on the copy only; all sources are 4 or above, so no copy overwrites a source.
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        posix_spawn_file_actions_adddup2(&actions, gate.read, 3)
        Descriptors.closeFrom4(&actions)

        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | newSession)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments(for: spec).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = spec.environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard status == 0 else {
            close(gate.write)
            throw StarlingError.internal("cannot start \(spec.executable): \(String(cString: strerror(status)))")
        }
        return Gated(pid: pid, gate: gate.write)
    }

    /// `POSIX_SPAWN_SETSID` (glibc 2.26), which Swift does not import from `<spawn.h>`.
    private static let newSession: Int16 = 0x80
}

/// A child being waited for on a thread of its own: a blocking `waitid` costs nothing while it waits, never misses
/// an exit, and waits only for this pid, so it never steals another part of the process's children.
///
/// Signals go to the child's process group, and only while the child is not reaped: until then its pid, and so
/// the group ID, stay reserved (by the zombie once it has exited), so a signal can never hit a recycled pid.
final class WatchedChild: Sendable {
    private struct State {
        var reaped = false
        /// The wait status; `nil` once reaped if something else in the process reaped it first.
        var status: Int32?
        var waiters: [Int: CheckedContinuation<Int32?, any Error>] = [:]
        var nextWaiter = 0
    }

    let pid: pid_t
    private let state = Mutex(State())

    private init(pid: pid_t) { self.pid = pid }

    /// Starts waiting for `pid`. Once it has exited, `beforeReap` runs on the waiting thread while the zombie still
    /// holds the pid (so it may signal what is left of the group); then the child is reaped and waiters resume.
    static func watch(_ pid: pid_t, beforeReap: @escaping @Sendable (WatchedChild) -> Void) -> WatchedChild {
        let child = WatchedChild(pid: pid)
        let thread = Thread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            beforeReap(child)
            child.reap()
        }
        thread.name = "starling-wait-\(pid)"
        thread.stackSize = 256 << 10
        thread.start()
        return child
    }

    /// Sends `signal` to the child's process group (to the child alone if it leads none). False once reaped.
    @discardableResult
    func signalGroup(_ signal: Int32) -> Bool {
        state.withLock { state in
            guard !state.reaped else { return false }
            if kill(-pid, signal) != 0 { kill(pid, signal) }
            return true
        }
    }

    /// The wait status once the child has been reaped (`nil` if something else reaped it). Cancellable.
    func wait() async throws -> Int32? {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32?, any Error>) in
                let immediate: Result<Int32?, any Error>? = state.withLock { state in
                    if state.reaped { return .success(state.status) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Whether the child ends within `duration` on `clock`.
    func exits(within duration: Duration, clock: any Clock<Duration>) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await self.wait()) != nil || self.isReaped }
            group.addTask {
                try? await clock.sleep(for: duration)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || isReaped
        }
    }

    var isReaped: Bool { state.withLock { $0.reaped } }

    private func reap() {
        let (status, waiters) = state.withLock { state in
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, 0) } while result < 0 && errno == EINTR
            state.status = result == pid ? status : nil
            state.reaped = true
            defer { state.waiters = [:] }
            return (state.status, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }
}
