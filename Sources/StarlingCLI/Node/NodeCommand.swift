import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling node`: list, inspect, update and remove the swarm's nodes.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Manage Swarm nodes",
        subcommands: [
            NodeList.self, NodeInspect.self, NodeUpdate.self, NodePromote.self, NodeDemote.self, NodeRemove.self,
        ]
    )
}

/// How node commands find and change nodes, as the docker CLI does it.
enum NodeReference {
    /// The node ID for `reference`: `self` is the ID of the node the client talks to.
    static func resolve(_ reference: String, client: EngineClient) async throws -> String {
        guard reference == "self" else { return reference }
        let info = try await client.info()
        guard info.swarm.nodeID.isEmpty else { return info.swarm.nodeID }
        // Not a manager, most likely: a swarm endpoint gives the precise error.
        _ = try await client.nodes()
        throw CommandFailure("node ID not found in /info")
    }

    /// The outcome of changing one node's spec.
    enum Change {
        case update(NodeSpec)
        /// Nothing to send (`promote` of a manager); the message has been printed.
        case unchanged
    }

    /// Reads each node, lets `change` edit its spec, and sends the new spec with the version it was read at; stops
    /// at the first error, as the docker CLI does. `success` runs after each update.
    static func update(
        _ references: [String], client: EngineClient, change: (Node) throws -> Change, success: (String) -> Void
    ) async throws {
        for reference in references {
            let node = try await client.node(reference)
            guard case .update(let spec) = try change(node) else { continue }
            try await client.updateNode(node.id, version: node.version.index, spec: spec)
            success(reference)
        }
    }
}
