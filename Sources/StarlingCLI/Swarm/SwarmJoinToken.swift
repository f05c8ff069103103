import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling swarm join-token worker|manager`: shows, or rotates, a join token.
struct SwarmJoinToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "join-token", abstract: "Manage join tokens")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Rotate join token")
    var rotate = false

    @Flag(name: .shortAndLong, help: "Only display token")
    var quiet = false

    @Argument(help: ArgumentHelp("Which token: worker or manager.", valueName: "worker|manager"))
    var role: String

    func run() async throws {
        let worker = role == "worker"
        let manager = role == "manager"
        guard worker || manager else { throw CommandFailure("unknown role \(role)") }
        try await global.withClient { client in
            if rotate {
                let swarm = try await client.swarmInspect()
                try await client.swarmUpdate(
                    spec: swarm.spec, version: swarm.version.index, rotateWorkerToken: worker,
                    rotateManagerToken: manager)
                if !quiet { Output.write("Successfully rotated \(role) join token.\n\n") }
            }
            // Read again: a rotation changed the tokens.
            let swarm = try await client.swarmInspect()
            if quiet {
                let tokens = swarm.joinTokens ?? JoinTokens(worker: "", manager: "")
                Output.write((worker ? tokens.worker : tokens.manager) + "\n")
                return
            }
            let info = try await client.info()
            Output.write(
                try await JoinInstructions.text(
                    client: client, nodeID: info.swarm.nodeID, worker: worker, manager: manager))
        }
    }
}
