import Foundation
import StarlingModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `DevSystem` on the real machine: Foundation `Process` for commands, `posix_spawn` for daemons, `/proc` for
/// process identity, `/run/netns` for namespaces.
public struct LocalDevSystem: DevSystem {
    /// Where commands named without a path are looked up, after `PATH` (`ip` lives in `/usr/sbin`).
    private let searchPath: [String]
    /// The daemons this value started and has not reaped yet: only those are waited for, so that a recycled pid
    /// never makes it reap a child that Foundation's `Process` is waiting for.
    private let children = Children()

    private final class Children: Sendable {
        let pids = Mutex(Set<pid_t>())
    }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        searchPath = path + ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    }

    public func run(_ arguments: [String]) async throws -> String {
        let process = try makeProcess(arguments)
        // Output goes to temporary files rather than pipes: a command that writes more than a pipe holds cannot
        // block while nobody reads it.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("starling-dev-\(UUID().uuidString)")
            .path
        let outputPath = base + ".out"
        let errorPath = base + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        guard FileManager.default.createFile(atPath: outputPath, contents: nil),
            FileManager.default.createFile(atPath: errorPath, contents: nil),
            let output = FileHandle(forWritingAtPath: outputPath), let errors = FileHandle(forWritingAtPath: errorPath)
        else { throw StarlingError.internal("cannot create temporary files at \(base)") }
        defer {
            try? output.close()
            try? errors.close()
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        let command = arguments.joined(separator: " ")
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: StarlingError.internal("cannot run \(command): \(error)"))
            }
        }
        let stdout = String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: FileManager.default.contents(atPath: errorPath) ?? Data(), as: UTF8.self)
        guard status == 0 else {
            let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw StarlingError.internal(
                "'\(command)' exited with status \(status)" + (detail.isEmpty ? "" : ": \(detail)"))
        }
        return stdout
    }

    /// Starts a daemon with `posix_spawn` rather than `Process`: Foundation gives the child the signal mask of the
    /// thread that starts it (a concurrency thread with SIGTERM blocked, so the daemon would ignore `dev down`) and
    /// cannot start a new session. Here the child gets an empty signal mask, default signal handlers, a session of
    /// its own (no controlling terminal to hang up), `/dev/null` as input and the log as output.
    public func spawn(_ arguments: [String], logFile: String) throws -> DevProcess {
        let executable = try resolve(arguments.first ?? "")
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | Self.newSession)

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw StarlingError.internal(
                "cannot start \(arguments.joined(separator: " ")): \(String(cString: strerror(status)))")
        }
        children.pids.withLock { _ = $0.insert(pid) }
        return DevProcess(pid: pid, startTime: Self.startTime(of: pid))
    }

    /// `POSIX_SPAWN_SETSID` (glibc 2.26, macOS), which Swift does not import from `<spawn.h>`.
    #if os(Linux)
        private static let newSession: Int16 = 0x80
    #else
        private static let newSession: Int16 = Int16(POSIX_SPAWN_SETSID)
    #endif

    public func isRunning(_ process: DevProcess) -> Bool {
        guard process.pid > 0 else { return false }
        // Reap the daemon if this value started it and it has exited.
        let reaped = children.pids.withLock { pids in
            var status: Int32 = 0
            guard pids.contains(process.pid), waitpid(process.pid, &status, WNOHANG) == process.pid else {
                return false
            }
            pids.remove(process.pid)
            return true
        }
        if reaped { return false }
        guard kill(process.pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = Self.stat(of: process.pid) else { return false }
        if stat.state == "Z" || stat.state == "X" { return false }
        if let expected = process.startTime, expected != stat.startTime { return false }
        return true
    }

    /// Signals the daemon's whole process group when it leads one (it does when `spawn` started it: a new session is
    /// a new group), so that children it did not move elsewhere go with it.
    public func signal(_ process: DevProcess, _ signal: DevSignal) throws {
        guard isRunning(process) else { return }
        let number = signal == .kill ? SIGKILL : SIGTERM
        let target = getpgid(process.pid) == process.pid ? -process.pid : process.pid
        if kill(target, number) != 0, errno != ESRCH {
            throw StarlingError.internal("cannot signal process \(process.pid): \(String(cString: strerror(errno)))")
        }
    }

    public func processes(matching matches: ([String]) -> Bool) -> [DevProcess] {
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var found: [DevProcess] = []
        for entry in entries {
            guard let pid = Int32(entry), pid != own,
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty
            else { continue }
            let arguments = data.split(separator: 0, omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
            let process = DevProcess(pid: pid, startTime: Self.startTime(of: pid))
            if matches(arguments.last == "" ? Array(arguments.dropLast()) : arguments), isRunning(process) {
                found.append(process)
            }
        }
        return found.sorted { $0.pid < $1.pid }
    }

    public func networkNamespaces() async throws -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).sorted()
    }

    public func readFile(_ path: String) throws -> Data? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    public func writeFile(_ path: String, _ data: Data) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }

    public func fileExists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    public func createDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove(_ path: String) throws {
        var isDirectory: ObjCBool = false
        // `fileExists` follows links: a dangling link or a socket is still removed through `removeItem`.
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || Self.isLink(path) else {
            return
        }
        try FileManager.default.removeItem(atPath: path)
    }

    // MARK: Helpers

    private func makeProcess(_ arguments: [String]) throws -> Process {
        guard let command = arguments.first else { throw StarlingError.invalidArgument("empty command") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(command))
        process.arguments = Array(arguments.dropFirst())
        return process
    }

    /// An absolute path for `command`, looked up in the search path when it has no slash.
    func resolve(_ command: String) throws -> String {
        if command.contains("/") { return command }
        for directory in searchPath where FileManager.default.isExecutableFile(atPath: "\(directory)/\(command)") {
            return "\(directory)/\(command)"
        }
        throw StarlingError.notFound("\(command): command not found (searched \(searchPath.joined(separator: ":")))")
    }

    private static func isLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }

    /// The state letter and the start time (field 22) from `/proc/<pid>/stat`.
    static func stat(of pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        // The command name, in parentheses, may itself hold spaces and parentheses: fields resume after the last ')'.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }

    static func startTime(of pid: Int32) -> UInt64? { stat(of: pid)?.startTime }
}
