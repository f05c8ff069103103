import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling node inspect`: nodes as JSON (docker's layout) or, with `--pretty`, as docker's text.
struct NodeInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Display detailed information on one or more nodes")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the information in a human friendly format")
    var pretty = false

    @Argument(help: ArgumentHelp("Node ID, name, hostname or \"self\".", valueName: "self|NODE"))
    var nodes: [String]

    func validate() throws {
        if nodes.isEmpty { throw ValidationError("\"starling node inspect\" requires at least 1 argument.") }
    }

    func run() async throws {
        try await global.withClient { client in
            var found: [Node] = []
            var errors: [any Error] = []
            for reference in nodes {
                do {
                    let id = try await NodeReference.resolve(reference, client: client)
                    found.append(try await client.node(id))
                } catch {
                    // The pretty form prints nothing once a node fails; the JSON form prints the nodes it found.
                    if pretty { throw error }
                    errors.append(error)
                }
            }
            Output.write(pretty ? NodePrettyFormatting.render(found) : NodeFormatting.json(found))
            if !errors.isEmpty { throw CommandFailure(errors) }
        }
    }
}
