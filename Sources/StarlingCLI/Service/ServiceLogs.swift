import ArgumentParser
import Foundation
import StarlingClient
import StarlingModel

/// `starling service logs`: the logs of a service's tasks (or of one task), each line prefixed with
/// `service.slot.task@node    | ` as the docker CLI prints it; `--raw` prints the lines as they are.
struct ServiceLogs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Fetch the logs of a service or task")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Follow log output") var follow = false
    @Option(
        name: [.customShort("n"), .long],
        help: ArgumentHelp("Number of lines to show from the end of the logs", valueName: "string"))
    var tail = "all"
    @Flag(name: .shortAndLong, help: "Show timestamps") var timestamps = false
    @Option(
        help: ArgumentHelp(
            "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)",
            valueName: "string"))
    var since: String?
    @Flag(help: "Do not neatly format logs") var raw = false
    @Flag(help: "Show extra details provided to logs") var details = false
    @Flag(help: "Do not truncate output") var noTrunc = false
    @Flag(help: "Do not include task IDs in output") var noTaskIds = false
    @Flag(help: "Do not map IDs to Names in output") var noResolve = false

    @Argument(help: ArgumentHelp("Service or task ID or name.", valueName: "SERVICE|TASK"))
    var target: String

    func validate() throws {
        if tail != "all", Int(tail) == nil {
            throw ValidationError("tail value must be a positive integer or \"all\"")
        }
        if let since { _ = try Self.sinceValue(since, now: .now()) }
    }

    func run() async throws {
        try await global.withClient { client in
            let (isTask, tty, padding) = try await lookUp(client)
            if tty && !raw { throw CommandFailure("tty service logs only supported with --raw") }
            let options = LogRequestOptions(
                follow: follow, since: try since.map { try Self.sinceValue($0, now: .now()) },
                tail: tail == "all" ? nil : Int(tail), timestamps: timestamps, details: details || !raw)
            let frames =
                isTask
                ? try await client.taskLogs(target, options: options, multiplexed: !tty)
                : try await client.serviceLogs(target, options: options, multiplexed: !tty)
            var prefixes = LogPrefixes(
                client: client, padding: padding, noResolve: noResolve, noTrunc: noTrunc, noTaskIDs: noTaskIds)
            for try await frame in frames {
                switch frame.stream {
                case .systemError:
                    throw CommandFailure("error from daemon in stream: \(String(decoding: frame.bytes, as: UTF8.self))")
                case .stdin, .stdout, .stderr:
                    let line =
                        raw || tty
                        ? frame.bytes
                        : try await prefixes.format(frame.bytes, timestamps: timestamps, details: details)
                    let handle = frame.stream == .stderr ? FileHandle.standardError : FileHandle.standardOutput
                    handle.write(Data(line))
                }
            }
        }
    }

    /// The target as a service, else as a task (as the docker CLI looks it up): whether it is a task, whether its
    /// logs are a TTY's, and the width slot numbers are padded to.
    private func lookUp(_ client: EngineClient) async throws -> (isTask: Bool, tty: Bool, padding: Int) {
        do {
            let service = try await client.service(target)
            let replicas = service.spec.mode.replicas.map { String($0).count } ?? 1
            return (false, service.spec.taskTemplate.containerSpec?.tty ?? false, replicas)
        } catch let error as StarlingError where error.code == .notFound {
            do {
                let task = try await client.task(target)
                return (true, task.spec.containerSpec?.tty ?? false, String(task.slot ?? 0).count)
            } catch let error as StarlingError where error.code == .notFound {
                throw CommandFailure("no such task or service: \(target)")
            }
        }
    }

    /// Docker's `GetTimestamp`: a Go duration before now (`10m`), an RFC 3339 time, or Unix seconds, sent as
    /// `seconds.nanoseconds`.
    static func sinceValue(_ text: String, now: Timestamp) throws -> String {
        if let nanoseconds = try? GoValueParsing.duration(text) {
            let total = (Int64(now.seconds) * 1_000_000_000 + Int64(now.nanoseconds)) - nanoseconds
            return String(format: "%lld.%09lld", total / 1_000_000_000, total % 1_000_000_000)
        }
        if let time = RFC3339.parse(text) { return String(format: "%lld.%09d", time.seconds, Int(time.nanoseconds)) }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if Int64(parts[0]) != nil, parts.count == 1 || parts[1].allSatisfy(\.isNumber) { return text }
        throw ValidationError("invalid value for \"since\": \(text)")
    }
}

/// The `service.slot.task@node    | ` prefix of each line, names looked up once per task.
struct LogPrefixes {
    let client: EngineClient
    let padding: Int
    let noResolve: Bool
    let noTrunc: Bool
    let noTaskIDs: Bool
    private var cache: [String: String] = [:]
    private var names: [String: String] = [:]

    init(client: EngineClient, padding: Int, noResolve: Bool, noTrunc: Bool, noTaskIDs: Bool) {
        self.client = client
        self.padding = padding
        self.noResolve = noResolve
        self.noTrunc = noTrunc
        self.noTaskIDs = noTaskIDs
    }

    /// `[timestamp ]prefix    | [details ]line`, from `[timestamp ]details line`.
    mutating func format(_ payload: [UInt8], timestamps: Bool, details showDetails: Bool) async throws -> [UInt8] {
        let count = timestamps ? 3 : 2
        let parts = payload.split(separator: UInt8(ascii: " "), maxSplits: count - 1, omittingEmptySubsequences: false)
        guard parts.count == count else {
            throw CommandFailure("invalid context in log message: \(String(decoding: payload, as: UTF8.self))")
        }
        var details = try Self.parseDetails(String(decoding: parts[count - 2], as: UTF8.self))
        guard let nodeID = details.removeValue(forKey: "com.docker.swarm.node.id") else {
            throw CommandFailure("missing node id in details: \(details)")
        }
        guard let serviceID = details.removeValue(forKey: "com.docker.swarm.service.id") else {
            throw CommandFailure("missing service id in details: \(details)")
        }
        guard let taskID = details.removeValue(forKey: "com.docker.swarm.task.id") else {
            throw CommandFailure("missing task id in details: \(details)")
        }
        var output: [UInt8] = timestamps ? Array(parts[0]) + [UInt8(ascii: " ")] : []
        output += Array((try await prefix(nodeID: nodeID, serviceID: serviceID, taskID: taskID) + "    | ").utf8)
        if showDetails {
            output += Array((details.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",") + " ").utf8)
        }
        return output + Array(parts[count - 1])
    }

    private mutating func prefix(nodeID: String, serviceID: String, taskID: String) async throws -> String {
        let key = "\(nodeID)/\(serviceID)/\(taskID)"
        if let cached = cache[key] { return cached }
        let node = await name(nodeID) { ServicePS.displayName(try await $0.node(nodeID)) }
        let service = await name(serviceID) { try await $0.service(serviceID).spec.name }
        let task = try await client.task(taskID)
        let slot = task.slot ?? 0
        var name = "\(service).\(slot)"
        if !noTaskIDs { name += "." + (noTrunc ? task.id : String(task.id.prefix(12))) }
        let formatted = name + "@" + node + String(repeating: " ", count: max(0, padding - String(slot).count))
        cache[key] = formatted
        return formatted
    }

    /// The name of a node or service, or its ID when it has none or cannot be found (or with `--no-resolve`).
    private mutating func name(_ id: String, lookUp: (EngineClient) async throws -> String?) async -> String {
        if noResolve { return id }
        if let known = names[id] { return known }
        let found = ((try? await lookUp(client)) ?? nil).flatMap { $0.isEmpty ? nil : $0 } ?? id
        names[id] = found
        return found
    }

    /// `k=v,k=v` with query-unescaped keys and values.
    static func parseDetails(_ text: String) throws -> [String: String] {
        var details: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw CommandFailure("invalid details format")
            }
            func unescape(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            details[unescape(parts[0])] = unescape(parts[1])
        }
        return details
    }
}
