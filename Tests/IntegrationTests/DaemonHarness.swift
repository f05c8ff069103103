import Foundation
import StarlingClient
import StarlingExecutor
import StarlingModel
import StarlingTestSupport
import Testing

/// Starts real `starling daemon` processes for integration tests, each with its own state directory, API socket
/// and control-plane port on loopback, and stops them at the end.
final class DaemonHarness: @unchecked Sendable {
    struct Daemon {
        let name: String
        let stateDirectory: String
        let socket: String
        let port: Int
        var pid: pid_t
        var address: EngineAddress { .unix(path: socket) }
        var host: String { "unix://" + socket }
    }

    let directory: String
    private(set) var daemons: [String: Daemon] = [:]
    private let lock = NSLock()

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("stl-it-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// The `starling` binary built next to the test bundle.
    static var binary: String {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<4 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("starling").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/starling"
    }

    static func freePort() -> Int { freeLoopbackPort() }

    /// Starts a daemon named `name` (its hostname too) and waits until its API answers.
    @discardableResult
    func start(_ name: String, port: Int? = nil, extra: [String] = []) async throws -> Daemon {
        let existing = lock.withLock { daemons[name] }
        let port = port ?? existing?.port ?? Self.freePort()
        let state = directory + "/" + name
        let socket = directory + "/" + name + ".sock"
        let logPath = directory + "/" + name + ".log"
        let arguments =
            [
                "daemon", "--state-dir", state, "-H", "unix://" + socket, "--listen-addr", "127.0.0.1:\(port)",
                "--hostname", name, "--log-level", "debug",
            ] + extra
        let pid = try spawn(Self.binary, arguments, logPath: logPath)
        let daemon = Daemon(name: name, stateDirectory: state, socket: socket, port: port, pid: pid)
        lock.withLock { daemons[name] = daemon }
        try await waitUntil("daemon \(name) answers", timeout: .seconds(20)) {
            (try? await self.client(name) { try await $0.ping() }) != nil
        }
        return daemon
    }

    func daemon(_ name: String) -> Daemon { lock.withLock { daemons[name]! } }

    /// Runs `body` with an Engine API client of daemon `name`.
    func client<T>(_ name: String, _ body: (EngineClient) async throws -> T) async throws -> T {
        try await EngineClient.withClient(address: daemon(name).address, body)
    }

    /// Kills a daemon hard, as a crash would, and reaps it.
    func kill9(_ name: String) {
        let pid = daemon(name).pid
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    }

    /// Stops every daemon (SIGTERM, then SIGKILL if it lingers), kills the task processes a killed daemon left
    /// behind, and removes the directory.
    func stopAll() {
        for daemon in lock.withLock({ Array(daemons.values) }) {
            var status: Int32 = 0
            guard waitpid(daemon.pid, &status, WNOHANG) == 0 else { continue }
            kill(daemon.pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            var exited = false
            while !exited, Date() < deadline {
                exited = waitpid(daemon.pid, &status, WNOHANG) != 0
                if !exited { usleep(20_000) }
            }
            if !exited {
                kill(daemon.pid, SIGKILL)
                waitpid(daemon.pid, &status, 0)
            }
        }
        LeftoverTasks.reclaim(under: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The daemon's log, for failure messages.
    func log(_ name: String) -> String {
        (try? String(contentsOfFile: directory + "/" + name + ".log", encoding: .utf8)) ?? ""
    }
}

/// Polls `condition` until it holds or `timeout` passes (then records a failure naming `what`).
func waitUntil(
    _ what: String, timeout: Duration, interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    Issue.record("timed out after \(timeout) waiting until \(what)")
    throw CancellationError()
}

/// Runs a command and returns its status and combined output. Uses `posix_spawn` and `waitpid` directly:
/// Foundation's `Process.waitUntilExit` was seen to miss a child's exit when that child had started daemons of
/// its own, leaving the test hanging on a zombie.
@discardableResult
func run(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:]
) throws -> (status: Int32, output: String) {
    var pipe: [Int32] = [0, 0]
    // Close-on-exec, so that a daemon another test spawns meanwhile does not inherit the write end and keep
    // this read from ever seeing end of file; the child gets its copies through dup2.
    guard Glibc.pipe(&pipe) == 0 else { throw POSIXError(.EIO) }
    _ = fcntl(pipe[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(pipe[1], F_SETFD, FD_CLOEXEC)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
    posix_spawn_file_actions_addclose(&actions, pipe[0])
    posix_spawn_file_actions_addclose(&actions, pipe[1])
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    close(pipe[1])
    guard spawned == 0 else {
        close(pipe[0])
        throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO)
    }
    var output = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(pipe[0], &buffer, buffer.count)
        if count > 0 {
            output.append(contentsOf: buffer[0..<count])
        } else if count == 0 || errno != EINTR {
            break
        }
    }
    close(pipe[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitStatus, String(decoding: output, as: UTF8.self))
}

/// Starts `executable` with its output appended to `logPath` and returns its pid (the caller reaps it).
func spawn(_ executable: String, _ arguments: [String], logPath: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    return pid
}

/// The path of an executable found on PATH, or nil.
func which(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
