import Foundation
import StarlingClient
import StarlingModel
import Testing

/// Starts real `starling daemon` processes for integration tests, each with its own state directory, API socket
/// and control-plane port on loopback, and stops them at the end.
final class DaemonHarness: @unchecked Sendable {
    struct Daemon {
        let name: String
        let stateDirectory: String
        let socket: String
        let port: Int
        var process: Process
        var address: EngineAddress { .unix(path: socket) }
        var host: String { "unix://" + socket }
    }

    let directory: String
    private(set) var daemons: [String: Daemon] = [:]
    private let lock = NSLock()

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("stl-it-\(UUID().uuidString.prefix(8))").path
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

    /// A free TCP port on 127.0.0.1 (bound and released; the daemon binds it right after).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts a daemon named `name` (its hostname too) and waits until its API answers.
    @discardableResult
    func start(_ name: String, port: Int? = nil, extra: [String] = []) async throws -> Daemon {
        let existing = lock.withLock { daemons[name] }
        let port = port ?? existing?.port ?? Self.freePort()
        let state = directory + "/" + name
        let socket = directory + "/" + name + ".sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments =
            [
                "daemon", "--state-dir", state, "-H", "unix://" + socket, "--listen-addr", "127.0.0.1:\(port)",
                "--hostname", name, "--log-level", "debug",
            ] + extra
        let logPath = directory + "/" + name + ".log"
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try #require(FileHandle(forUpdatingAtPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let daemon = Daemon(name: name, stateDirectory: state, socket: socket, port: port, process: process)
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

    /// Kills a daemon hard, as a crash would.
    func kill9(_ name: String) {
        let process = daemon(name).process
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops every daemon (SIGTERM, then SIGKILL if it lingers) and removes the directory.
    func stopAll() {
        for daemon in lock.withLock({ Array(daemons.values) }) where daemon.process.isRunning {
            daemon.process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while daemon.process.isRunning, Date() < deadline { usleep(20_000) }
            if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGKILL) }
        }
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

/// Runs a command and returns its status and combined output.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The path of an executable found on PATH, or nil.
func which(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
