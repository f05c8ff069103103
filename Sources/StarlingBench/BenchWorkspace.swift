import Dispatch
import Foundation
import StarlingClient
import StarlingExecutor
import StarlingModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A `starling daemon` the benchmark started on loopback: its own state directory, API socket and control-plane
/// port.
struct BenchDaemon: Sendable {
    /// Also the node's hostname.
    let name: String
    let directory: String
    let process: ChildProcess
    /// `127.0.0.1:<port>`: where it listens for the control plane, and what it advertises.
    let controlAddress: String
    let socketPath: String
    /// From spawning the process to its API answering.
    let startup: Duration

    var api: EngineAddress { .unix(path: socketPath) }
}

/// Everything the benchmark leaves on the machine: one temporary directory and the daemons started in it.
/// `cleanUp()` kills the daemons and removes the directory; it may run more than once, and from the signal
/// handler that `with(binary:_:)` installs for Ctrl-C.
final class BenchWorkspace: Sendable {
    let directory: String
    let binary: String
    /// Whether `cleanUp()` and `stop(_:)` leave the directories in place, for reading the daemons' logs.
    let keep: Bool
    private let children = Mutex<[ChildProcess]>([])

    private init(directory: String, binary: String, keep: Bool) {
        self.directory = directory
        self.binary = binary
        self.keep = keep
    }

    /// Runs `body` with a new workspace under /tmp (short, so unix socket paths stay under their 108-byte limit),
    /// and cleans it up afterwards whatever happens, on SIGINT, SIGTERM and SIGHUP too.
    static func with<Result>(
        binary: String, keep: Bool = false, isolation: isolated (any Actor)? = #isolation,
        _ body: (BenchWorkspace) async throws -> Result
    ) async throws -> Result {
        var template = Array("/tmp/starling-bench-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw StarlingError.internal("cannot create a directory in /tmp: \(String(cString: strerror(errno)))")
        }
        let workspace = BenchWorkspace(directory: String(cString: created), binary: binary, keep: keep)
        let signals = [SIGINT, SIGTERM, SIGHUP]
        let sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                progress("interrupted; stopping the daemons and removing \(workspace.directory)")
                workspace.cleanUp()
                exit(128 + number)
            }
            source.resume()
            return source
        }
        defer {
            sources.forEach { $0.cancel() }
            signals.forEach { signal($0, SIG_DFL) }
        }
        do {
            let result = try await body(workspace)
            workspace.cleanUp()
            return result
        } catch {
            workspace.cleanUp()
            throw error
        }
    }

    /// Kills every daemon still running and the task processes the daemons leave behind, and removes the directory
    /// (unless `keep`).
    func cleanUp() {
        let running = children.withLock { children in
            defer { children = [] }
            return children
        }
        for child in running where !child.killAndWait() {
            progress("process \(child.pid) did not exit after SIGKILL; leaving it")
        }
        LeftoverTasks.reclaim(under: directory)
        if keep {
            progress("kept the daemons' state and logs in \(directory)")
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    // MARK: Daemons

    /// Starts `starling daemon` named `name` in `<directory>/<name>` and waits until its API answers.
    func startDaemon(_ name: String, extraArguments: [String] = []) async throws -> BenchDaemon {
        let home = directory + "/" + name
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let socket = home + "/api.sock"
        let control = "127.0.0.1:\(try Self.freeLoopbackPort())"
        let arguments =
            [
                binary, "daemon", "--state-dir", home + "/state", "-H", "unix://" + socket, "--listen-addr", control,
                "--hostname", name,
            ] + extraArguments
        let clock = ContinuousClock()
        let start = clock.now
        let child = try ChildProcess.spawn(arguments, logFile: home + "/daemon.log")
        children.withLock { $0.append(child) }
        try await EngineClient.withClient(address: .unix(path: socket)) { client in
            _ = try await waitFor("\(name)'s API to answer", timeout: .seconds(60)) { () async throws -> Bool? in
                guard !child.hasExited else {
                    throw StarlingError.unavailable(
                        "the daemon \(name) exited; the end of \(child.logFile):\n\(child.logTail())")
                }
                guard FileManager.default.fileExists(atPath: socket) else { return nil }
                return (try? await client.ping()) != nil ? true : nil
            }
        }
        return BenchDaemon(
            name: name, directory: home, process: child, controlAddress: control, socketPath: socket,
            startup: clock.now - start)
    }

    /// Kills `daemons` and the task processes they ran, and removes their directories.
    func stop(_ daemons: [BenchDaemon]) {
        for daemon in daemons {
            if !daemon.process.killAndWait() {
                progress("process \(daemon.process.pid) did not exit after SIGKILL; leaving it")
                continue
            }
            LeftoverTasks.reclaim(under: daemon.directory)
            children.withLock { children in children.removeAll { $0 === daemon.process } }
            if !keep { try? FileManager.default.removeItem(atPath: daemon.directory) }
        }
    }

    /// A TCP port free on 127.0.0.1 right now (bound to port 0 and released; the daemon binds it just after).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StarlingError.internal("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            throw StarlingError.internal("cannot find a free port: \(String(cString: strerror(errno)))")
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Runs `body` with one Engine API client per address and shuts them all down afterwards, whatever happens.
func withEngineClients<Result>(
    _ addresses: [EngineAddress], isolation: isolated (any Actor)? = #isolation,
    _ body: ([EngineClient]) async throws -> Result
) async throws -> Result {
    let clients = addresses.map { EngineClient(address: $0) }
    let result: Result
    do {
        result = try await body(clients)
    } catch {
        for client in clients { try? await client.shutdown() }
        throw error
    }
    for client in clients { try? await client.shutdown() }
    return result
}
