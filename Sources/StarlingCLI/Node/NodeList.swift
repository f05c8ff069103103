import ArgumentParser
import Foundation
import StarlingClient
import StarlingModel

/// `starling node ls`: the swarm's nodes, in `docker node ls`'s table.
struct NodeList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List nodes in the swarm", aliases: ["list"])

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Only display IDs")
    var quiet = false

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Filter output based on conditions provided", valueName: "filter"),
        transform: NodeList.parseFilter)
    var filter: [FilterTerm] = []

    /// One `--filter name=value`.
    struct FilterTerm {
        var name: String
        var value: String
    }

    /// The docker CLI's filter syntax: `name=value`, the name lowered, both trimmed.
    static func parseFilter(_ text: String) throws -> FilterTerm {
        guard let equals = text.firstIndex(of: "=") else {
            throw ValidationError("bad format of filter (expected name=value)")
        }
        return FilterTerm(
            name: text[..<equals].trimmingCharacters(in: .whitespaces).lowercased(),
            value: text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces))
    }

    var filters: Filters {
        var values: [String: Set<String>] = [:]
        for term in filter { values[term.name, default: []].insert(term.value) }
        return Filters(values)
    }

    func run() async throws {
        try await global.withClient { client in
            let nodes = try await client.nodes(filters: filters)
            // Like the docker CLI, ask for /info (which node is "self") only when there is a table to mark.
            let selfID = nodes.isEmpty || quiet ? "" : try await client.info().swarm.nodeID
            Output.write(NodeFormatting.table(nodes, selfID: selfID, quiet: quiet))
        }
    }
}
