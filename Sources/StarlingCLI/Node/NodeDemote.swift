import ArgumentParser
import StarlingModel

/// `starling node demote`: makes managers workers.
struct NodeDemote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demote", abstract: "Demote one or more nodes from manager in the swarm")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Node ID, name or hostname.", valueName: "NODE"))
    var nodes: [String]

    func validate() throws {
        if nodes.isEmpty { throw ValidationError("\"starling node demote\" requires at least 1 argument.") }
    }

    func run() async throws {
        try await global.withClient { client in
            try await NodeReference.update(nodes, client: client) { node in
                guard node.spec.role != .worker else {
                    Output.write("Node \(node.id) is already a worker.\n")
                    return .unchanged
                }
                var spec = node.spec
                spec.role = .worker
                return .update(spec)
            } success: { reference in
                Output.write("Manager \(reference) demoted in the swarm.\n")
            }
        }
    }
}
