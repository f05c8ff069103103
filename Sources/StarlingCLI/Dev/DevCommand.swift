import ArgumentParser
import Foundation
import StarlingDev
import StarlingModel

/// `starling dev`: a whole cluster on this machine, for trying things out and for tests.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run a local cluster: one daemon per node, in network namespaces when run as root",
        subcommands: [DevUp.self, DevStatus.self, DevFail.self, DevRestore.self, DevDown.self]
    )
}

/// The option every dev command takes, and how they all reach the cluster.
struct DevOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The dev cluster's name.", valueName: "name"))
    var name = "dev"

    static var isRoot: Bool { geteuid() == 0 }

    /// Root keeps clusters in /var/lib/starling-dev and /run/starling-dev; anyone else in ~/.starling-dev.
    static var layout: DevLayout {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return DevLayout.standard(isRoot: isRoot, home: home)
    }

    /// A cluster that reports its steps on standard error (standard output stays for what scripts read).
    static func cluster(timeouts: DevTimeouts = DevTimeouts()) -> DevCluster {
        DevCluster(timeouts: timeouts, progress: { Output.error($0) })
    }

    /// Runs a dev operation; its errors are the CLI's own, not a daemon's answer.
    static func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StarlingError {
            throw CommandFailure(error.message)
        }
    }
}

/// The dev cluster's own table: one line per node, with its daemon's state and what the manager says of it.
enum DevTable {
    static func render(_ status: DevClusterStatus) -> String {
        let byID = Dictionary((status.nodes ?? []).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var text = "NODE\tADDRESS\tPID\tDAEMON\tSTATUS\tROLE\tNODE ID\tLABELS\n"
        for (offset, node) in status.record.nodes.enumerated() {
            let running = offset < status.running.count && status.running[offset]
            let swarmNode = node.nodeID.flatMap { byID[$0] }
            let labels = (swarmNode?.spec.labels ?? node.plan.labels).sorted { $0.key < $1.key }
            let columns = [
                node.plan.hostname, node.plan.address, running ? node.process.map { String($0.pid) } ?? "-" : "-",
                running ? "running" : "stopped",
                swarmNode.map { GoText.prettyPrint($0.status.state.rawValue) } ?? "-",
                swarmNode.map { $0.spec.role.rawValue } ?? "-", node.nodeID ?? "-",
                labels.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
            ]
            text += columns.joined(separator: "\t") + "\n"
        }
        return TabWriter.table.format(text)
    }

    /// `export STARLING_HOST=...` and `export DOCKER_HOST=...` for the manager's socket.
    static func exports(_ status: DevClusterStatus) -> String {
        "export STARLING_HOST=\(status.managerHost)\nexport DOCKER_HOST=\(status.managerHost)\n"
    }
}
