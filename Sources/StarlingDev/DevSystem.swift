import Foundation

/// The operating-system calls the dev cluster makes: running `ip`, starting and signalling daemons, finding
/// namespaces and processes, and reading and writing its files. Everything above this protocol is plain logic that
/// tests drive with a fake.
public protocol DevSystem: Sendable {
    /// Runs a command to completion and returns its standard output; a non-zero exit throws an error that carries
    /// the command and its standard error.
    func run(_ arguments: [String]) async throws -> String

    /// Starts a long-running command that outlives the caller: its own session and process group, input from
    /// `/dev/null`, standard output and error appended to `logFile`, no signal blocked or ignored.
    func spawn(_ arguments: [String], logFile: String) throws -> DevProcess

    /// True while `process` runs (a zombie or a recycled pid does not count).
    func isRunning(_ process: DevProcess) -> Bool

    /// Sends `signal` to `process` if it still runs.
    func signal(_ process: DevProcess, _ signal: DevSignal) throws

    /// The running processes whose command line satisfies `matches`.
    func processes(matching matches: ([String]) -> Bool) -> [DevProcess]

    /// The names of the network namespaces that exist (`ip netns list`).
    func networkNamespaces() async throws -> [String]

    /// The contents of a file, or nil if it does not exist.
    func readFile(_ path: String) throws -> Data?
    /// Replaces a file's contents atomically, creating its directory if needed.
    func writeFile(_ path: String, _ data: Data) throws
    func fileExists(_ path: String) -> Bool
    func createDirectory(_ path: String) throws
    /// Removes a file or a directory tree; a missing path is not an error.
    func remove(_ path: String) throws
}

/// The signals the dev cluster sends.
public enum DevSignal: String, Hashable, Sendable {
    /// SIGTERM: stop gracefully.
    case terminate
    /// SIGKILL: the daemon gets no chance to clean up (`dev fail`).
    case kill
}

extension DevSystem {
    /// The last `count` lines of a log file, for error messages.
    public func tail(_ path: String, lines count: Int = 15) -> String {
        guard let data = try? readFile(path) else { return "" }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.suffix(count + 1).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
