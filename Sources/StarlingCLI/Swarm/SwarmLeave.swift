import ArgumentParser
import StarlingClient

/// `starling swarm leave`: the daemon leaves its swarm.
struct SwarmLeave: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "leave", abstract: "Leave the swarm")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Force this node to leave the swarm, ignoring warnings")
    var force = false

    func run() async throws {
        try await global.withClient { client in
            try await client.swarmLeave(force: force)
            Output.write("Node left the swarm.\n")
        }
    }
}
