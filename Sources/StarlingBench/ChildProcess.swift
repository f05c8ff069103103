import Foundation
import StarlingModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A process the benchmark started: in a process group of its own (a Ctrl-C reaches the benchmark, which then
/// stops it deliberately), standard input from `/dev/null`, output appended to a log file. The benchmark reaps it
/// itself, so a signal never reaches a recycled pid.
final class ChildProcess: Sendable {
    let pid: pid_t
    let logFile: String
    /// The wait status once the process has been reaped.
    private let status = Mutex<Int32?>(nil)

    private init(pid: pid_t, logFile: String) {
        self.pid = pid
        self.logFile = logFile
    }

    /// Starts `arguments` (the first is an absolute path).
    static func spawn(_ arguments: [String], logFile: String) throws -> ChildProcess {
        guard let path = arguments.first else { throw StarlingError.invalidArgument("empty command") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        // A child inherits the spawning thread's signal mask, and concurrency threads block some signals: start
        // with none blocked.
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        // The benchmark ignores these signals while it watches for them; an ignored disposition would survive
        // exec, so the child gets the defaults back.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { environment.forEach { free($0) } }

        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environment)
        guard result == 0 else {
            throw StarlingError.internal("cannot start \(path): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid, logFile: logFile)
    }

    /// Whether the process has exited (it is reaped if it has).
    var hasExited: Bool {
        status.withLock { status in
            if status != nil { return true }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            guard result == pid || (result < 0 && errno == ECHILD) else { return false }
            status = raw
            return true
        }
    }

    /// Sends `signal` unless the process has already exited.
    func send(_ signal: Int32) {
        guard !hasExited else { return }
        kill(pid, signal)
    }

    /// SIGKILL, then waits (without blocking a thread for long) until the process is gone, so its ports and files
    /// are free. Returns false if it is still there after `timeout`.
    @discardableResult
    func killAndWait(timeout: Duration = .seconds(10)) -> Bool {
        send(SIGKILL)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while !hasExited {
            guard clock.now < deadline else { return false }
            usleep(2_000)
        }
        return true
    }

    /// The last lines of the process's log, for error messages.
    func logTail(lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// A process's CPU time and resident memory, read from `/proc/<pid>/stat` and `/proc/<pid>/status`.
struct ProcessSample: Sendable {
    /// User plus system CPU time consumed so far.
    var cpuSeconds: Double
    /// `VmRSS`.
    var residentBytes: Double

    static func read(pid: pid_t) throws -> ProcessSample {
        ProcessSample(cpuSeconds: try cpuSeconds(pid: pid), residentBytes: try residentBytes(pid: pid))
    }

    static func cpuSeconds(pid: pid_t) throws -> Double {
        let text = try read("/proc/\(pid)/stat")
        // The command name, in parentheses, may hold spaces: the fields resume after the last ')'. There, index 0
        // is field 3 (state), so utime (field 14) and stime (field 15) are at 11 and 12.
        guard let close = text.lastIndex(of: ")") else { throw malformed("/proc/\(pid)/stat") }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw malformed("/proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func residentBytes(pid: pid_t) throws -> Double {
        let text = try read("/proc/\(pid)/status")
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kilobytes = Double(parts[1]) else { break }
            return kilobytes * 1024
        }
        throw malformed("/proc/\(pid)/status")
    }

    private static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw StarlingError.notFound("cannot read \(path): the process is gone?")
        }
    }

    private static func malformed(_ path: String) -> StarlingError {
        StarlingError.internal("cannot parse \(path)")
    }
}
