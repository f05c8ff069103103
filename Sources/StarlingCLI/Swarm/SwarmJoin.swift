import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling swarm join`: makes the daemon a node of an existing swarm.
struct SwarmJoin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join", abstract: "Join a swarm as a node and/or manager")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Token for entry into the swarm", valueName: "string"))
    var token: String

    @Option(help: ArgumentHelp("Advertised address (format: \"<ip|interface>[:port]\")", valueName: "string"))
    var advertiseAddr: String?

    @Option(help: ArgumentHelp("Listen address (format: \"<ip|interface>[:port]\")", valueName: "node-addr"))
    var listenAddr: String?

    @Argument(help: ArgumentHelp("The address of a manager of the swarm.", valueName: "HOST:PORT"))
    var remote: String

    func run() async throws {
        try await global.withClient { client in
            try await client.swarmJoin(
                SwarmJoinRequest(
                    listenAddr: listenAddr, advertiseAddr: advertiseAddr, remoteAddrs: [remote], joinToken: token))
            let info = try await client.info()
            Output.write("This node joined a swarm as a \(info.swarm.controlAvailable ? "manager" : "worker").\n")
        }
    }
}
