import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling swarm`: create, join and leave swarms, and show join tokens.
struct SwarmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swarm",
        abstract: "Manage Swarm",
        subcommands: [SwarmInit.self, SwarmJoin.self, SwarmJoinToken.self, SwarmLeave.self]
    )
}

/// The join instructions `swarm init` and `swarm join-token` print (the docker CLI's `printJoinCommand`): the
/// token from `GET /swarm` and the manager's address from `GET /nodes/<id>`. Nothing is printed when the node is not
/// a manager.
enum JoinInstructions {
    static func text(client: EngineClient, nodeID: String, worker: Bool, manager: Bool) async throws -> String {
        let node = try await client.node(nodeID)
        let swarm = try await client.swarmInspect()
        guard let address = node.managerStatus?.addr else { return "" }
        let tokens = swarm.joinTokens ?? JoinTokens(worker: "", manager: "")
        var text = ""
        if worker { text += command(role: "worker", token: tokens.worker, address: address) }
        if manager { text += command(role: "manager", token: tokens.manager, address: address) }
        return text
    }

    static func command(role: String, token: String, address: String) -> String {
        "To add a \(role) to this swarm, run the following command:\n\n    starling swarm join --token \(token) \(address)\n\n"
    }
}
