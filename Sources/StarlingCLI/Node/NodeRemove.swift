import ArgumentParser
import StarlingClient

/// `starling node rm`: removes nodes from the swarm, printing each one removed and carrying on after failures.
struct NodeRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove one or more nodes from the swarm", aliases: ["remove"])

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Force remove a node from the swarm")
    var force = false

    @Argument(help: ArgumentHelp("Node ID, name or hostname.", valueName: "NODE"))
    var nodes: [String]

    func validate() throws {
        if nodes.isEmpty { throw ValidationError("\"starling node rm\" requires at least 1 argument.") }
    }

    func run() async throws {
        try await global.withClient { client in
            var errors: [any Error] = []
            for node in nodes {
                do {
                    try await client.removeNode(node, force: force)
                    Output.write(node + "\n")
                } catch {
                    errors.append(error)
                }
            }
            if !errors.isEmpty { throw CommandFailure(errors) }
        }
    }
}
