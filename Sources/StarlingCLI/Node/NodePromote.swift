import ArgumentParser
import StarlingModel

/// `starling node promote`: makes nodes managers.
struct NodePromote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote", abstract: "Promote one or more nodes to manager in the swarm")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Node ID, name or hostname.", valueName: "NODE"))
    var nodes: [String]

    func validate() throws {
        if nodes.isEmpty { throw ValidationError("\"starling node promote\" requires at least 1 argument.") }
    }

    func run() async throws {
        try await global.withClient { client in
            try await NodeReference.update(nodes, client: client) { node in
                guard node.spec.role != .manager else {
                    Output.write("Node \(node.id) is already a manager.\n")
                    return .unchanged
                }
                var spec = node.spec
                spec.role = .manager
                return .update(spec)
            } success: { reference in
                Output.write("Node \(reference) promoted to a manager in the swarm.\n")
            }
        }
    }
}
