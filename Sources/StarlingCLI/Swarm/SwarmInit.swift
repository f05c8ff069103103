import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling swarm init`: makes the daemon the first manager of a new swarm.
struct SwarmInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Initialize a swarm")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Advertised address (format: \"<ip|interface>[:port]\")", valueName: "string"))
    var advertiseAddr: String?

    @Option(help: ArgumentHelp("Listen address (format: \"<ip|interface>[:port]\")", valueName: "node-addr"))
    var listenAddr: String?

    func run() async throws {
        try await global.withClient { client in
            let nodeID: String
            do {
                nodeID = try await client.swarmInit(
                    SwarmInitRequest(listenAddr: listenAddr, advertiseAddr: advertiseAddr))
            } catch let error as StarlingError
                where error.message.contains("could not choose an IP address to advertise")
                && !error.message.contains("--advertise-addr")
            {
                throw StarlingError(error.code, error.message + " - specify one with --advertise-addr")
            }
            Output.write("Swarm initialized: current node (\(nodeID)) is now a manager.\n\n")
            Output.write(try await JoinInstructions.text(client: client, nodeID: nodeID, worker: true, manager: false))
            Output.write(
                "To add a manager to this swarm, run 'starling swarm join-token manager' and follow the instructions.\n"
            )
        }
    }
}
