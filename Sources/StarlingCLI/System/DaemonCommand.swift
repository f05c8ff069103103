import ArgumentParser
import Foundation
import Logging
import StarlingClient
import StarlingDaemon
import StarlingModel

/// `starling daemon`: runs a node (the agent, and the manager once the node is one), serving the Engine API,
/// until SIGTERM or SIGINT.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", abstract: "Run a Starling node")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        Self.closeInheritedDescriptors()
        let level = Logger.Level(rawValue: options.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        try await Daemon.run(configuration: options.daemonConfiguration, logger: Logger(label: "starling"))
    }
}

extension DaemonCommand {
    /// Closes the pipes above stderr that the daemon inherited. A daemon lives long: holding on to the write end
    /// of a pipe its starter (or a process running beside it) reads would keep that reader from ever seeing end
    /// of file. Only pipes: the runtime's own descriptors (epoll, eventfd) may already be open and must stay.
    static func closeInheritedDescriptors() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for descriptor in entries.compactMap(Int32.init) where descriptor > 2 {
            let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")
            if target?.hasPrefix("pipe:") == true { close(descriptor) }
        }
    }
}

/// The flags of `starling daemon`.
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where the node keeps its identity, certificates and cluster state.", valueName: "dir"))
    var stateDir = "/var/lib/starling"

    @Option(
        name: [.customShort("H"), .long],
        help: ArgumentHelp("Where to serve the Engine API (unix:///path or tcp://host:port).", valueName: "host"))
    var host = "unix:///run/starling/starling.sock"

    @Option(help: ArgumentHelp("Control-plane listen address (host:port).", valueName: "addr"))
    var listenAddr = "0.0.0.0:4242"

    @Option(help: ArgumentHelp("Control-plane address other nodes reach this one at (host[:port]).", valueName: "addr"))
    var advertiseAddr: String?

    @Option(help: ArgumentHelp("The hostname this node reports (default: the machine's).", valueName: "name"))
    var hostname: String?

    @Option(
        name: .customLong("label"),
        help: ArgumentHelp(
            "An engine label (key=value), shown as engine.labels.<key>; repeatable.", valueName: "key=value"))
    var labelList: [String] = []

    @Option(
        name: .customLong("node-generic-resource"),
        help: ArgumentHelp(
            "A user-defined resource this node offers (gpu=UUID1 for a named unit, ssd=3 for a count); repeatable.",
            valueName: "kind=value"),
        transform: { try DaemonConfiguration.genericResource($0) })
    var genericResources: [GenericResource] = []

    @Option(
        help: ArgumentHelp(
            "The base heartbeat period a new swarm starts with (e.g. 500ms, 2s).", valueName: "duration"),
        transform: DurationText.parse)
    var heartbeatPeriod: Duration?

    @Option(
        help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel = "info"

    /// The engine labels as a map; a label without `=` has an empty value.
    var labels: [String: String] {
        var labels: [String: String] = [:]
        for label in labelList {
            let (key, value) = NodeUpdate.splitLabel(label)
            labels[key] = value
        }
        return labels
    }

    var daemonConfiguration: DaemonConfiguration {
        DaemonConfiguration(
            stateDirectory: stateDir, apiHost: host, listenAddress: listenAddr, advertiseAddress: advertiseAddr,
            hostname: hostname, engineLabels: labels, heartbeatPeriod: heartbeatPeriod,
            genericResources: genericResources)
    }

    static let logLevels: Set = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    func validate() throws {
        guard Self.logLevels.contains(logLevel) else {
            throw ValidationError(
                "invalid log level '\(logLevel)': expected one of \(Self.logLevels.sorted().joined(separator: ", "))")
        }
        if let empty = labelList.first(where: { NodeUpdate.splitLabel($0).key.isEmpty }) {
            throw ValidationError("invalid label '\(empty)': the key is empty")
        }
    }
}

/// Durations written as Go writes them on command lines (`500ms`, `2s`, `1m30s`), parsed as Go parses them.
enum DurationText {
    static func parse(_ text: String) throws -> Duration {
        let nanoseconds = try GoValueParsing.duration(text)
        guard nanoseconds > 0 else { throw ValidationError("invalid duration '\(text)': it must be positive") }
        return .nanoseconds(nanoseconds)
    }
}
