import ArgumentParser
import Foundation
import StarlingDev

/// `starling dev up`: starts a cluster (node 1 the manager, the others workers) and prints the `export` lines that
/// point the CLI and the docker CLI at it. Progress and the node table go to standard error, so that
/// `eval "$(starling dev up)"` works.
struct DevUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Start a local cluster",
        discussion: """
            Node 1 is the manager, the others join as workers. As root, every node gets a network namespace and an \
            address of its own; otherwise (or with --loopback) all daemons listen on 127.0.0.1. The export lines go \
            to standard output, so that eval "$(starling dev up)" points starling and docker at the cluster; \
            progress and the node table go to standard error.
            """)

    @OptionGroup var dev: DevOptions

    @Option(help: ArgumentHelp("Number of nodes (1 to \(DevClusterPlan.maximumNodes)).", valueName: "n"))
    var nodes = 3

    @Option(
        help: ArgumentHelp(
            "A node label to add once the node has joined, e.g. node2:workload=jupyter; repeatable.",
            valueName: "nodeN:key=value"))
    var label: [String] = []

    @Option(help: ArgumentHelp("The starling binary the daemons run (default: this one).", valueName: "path"))
    var binary: String?

    @Flag(help: "Run every daemon on 127.0.0.1 (the default when not root) instead of in network namespaces.")
    var loopback = false

    @Option(help: ArgumentHelp("First control-plane port on loopback; node i uses port+i-1.", valueName: "port"))
    var basePort = 4242

    @Option(help: ArgumentHelp("Passed to every daemon (e.g. 500ms).", valueName: "duration"))
    var heartbeatPeriod: String?

    @Option(help: ArgumentHelp("Passed to every daemon.", valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp("Seconds to wait for the daemons and for the nodes to be ready.", valueName: "seconds"))
    var timeout = 60

    func validate() throws {
        if let period = heartbeatPeriod { _ = try DurationText.parse(period) }
        if let level = logLevel, !DaemonOptions.logLevels.contains(level) {
            throw ValidationError("invalid log level '\(level)'")
        }
        for text in label { _ = try parsedLabel(text) }
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
    }

    private func parsedLabel(_ text: String) throws -> (node: Int, key: String, value: String) {
        do { return try DevClusterRequest.parseLabel(text) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        var labels: [Int: [String: String]] = [:]
        for text in label {
            let (node, key, value) = try parsedLabel(text)
            labels[node, default: [:]][key] = value
        }
        let request = DevClusterRequest(
            name: dev.name, nodeCount: nodes, labels: labels, binary: try Self.binaryPath(binary),
            isolated: DevOptions.isRoot && !loopback, basePort: basePort, heartbeatPeriod: heartbeatPeriod,
            logLevel: logLevel)
        let timeouts = DevTimeouts(apiReady: .seconds(timeout), nodesReady: .seconds(timeout))
        let status = try await DevOptions.run {
            try await DevOptions.cluster(timeouts: timeouts).up(request, layout: DevOptions.layout)
        }
        Output.error("")
        Output.error(DevTable.render(status), terminator: "")
        Output.write(DevTable.exports(status))
    }

    /// The daemons' binary: `--binary`, else the running executable.
    static func binaryPath(_ explicit: String?) throws -> String {
        let path: String
        if let explicit {
            path = explicit
        } else if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            path = executable
        } else {
            path = CommandLine.arguments[0]
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard FileManager.default.isExecutableFile(atPath: absolute) else {
            throw CommandFailure("\(absolute) is not an executable file")
        }
        return absolute
    }
}
