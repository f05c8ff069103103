import ArgumentParser
import StarlingDev

/// `starling dev status`: each node's daemon, and the swarm as the manager sees it.
struct DevStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a local cluster")

    @OptionGroup var dev: DevOptions

    func run() async throws {
        let status = try await DevOptions.run {
            try await DevOptions.cluster().status(name: dev.name, layout: DevOptions.layout)
        }
        var text = "Cluster \(status.record.name): " + (status.record.network.map { "\($0.subnet), " } ?? "loopback, ")
        text += "manager \(status.managerHost)\n\n"
        text += DevTable.render(status)
        if let nodes = status.nodes {
            let selfID = status.record.nodes[0].nodeID ?? ""
            text += "\n" + NodeFormatting.table(nodes, selfID: selfID)
        } else if let error = status.managerError {
            text += "\nThe manager does not answer: \(error)\n"
        }
        Output.write(text)
    }
}
