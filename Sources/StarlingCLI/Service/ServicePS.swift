import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling service ps`: the tasks of services, current and past, in `docker service ps`'s table.
struct ServicePS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List the tasks of one or more services")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filterOptions: FilterOptions

    @Flag(name: .shortAndLong, help: "Only display task IDs")
    var quiet = false

    @Flag(help: "Do not truncate output")
    var noTrunc = false

    @Flag(help: "Do not map IDs to Names")
    var noResolve = false

    @Argument(help: ArgumentHelp("Service ID or name.", valueName: "SERVICE"))
    var services: [String]

    func validate() throws {
        if services.isEmpty { throw ValidationError("\"starling service ps\" requires at least 1 argument.") }
    }

    func run() async throws {
        try await global.withClient { client in
            let (serviceIDs, notFound) = try await Self.resolve(services, client: client)
            var filters = filterOptions.filters.values
            filters["service"] = Set(serviceIDs)
            if let nodes = filters["node"] {
                filters["node"] = Set(try await nodes.asyncMap { try await NodeReference.resolve($0, client: client) })
            }
            let tasks = try await client.tasks(filters: Filters(filters))
            var serviceNames: [String: String] = [:]
            var nodeNames: [String: String] = [:]
            if !noResolve {
                for id in Set(tasks.map(\.serviceID)) {
                    serviceNames[id] = (try? await client.service(id).spec.name) ?? id
                }
                for id in Set(tasks.compactMap(\.nodeID)) where !id.isEmpty {
                    nodeNames[id] = (try? await client.node(id)).flatMap(Self.displayName) ?? id
                }
            }
            Output.write(
                ServiceFormatting.taskTable(
                    tasks, serviceNames: serviceNames, nodeNames: nodeNames, truncate: !noTrunc && !quiet,
                    quiet: quiet, now: .now()))
            if !notFound.isEmpty { throw CommandFailure(notFound.joined(separator: "\n")) }
        }
    }

    /// How the docker CLI names a node: its name, else its hostname.
    static func displayName(_ node: Node) -> String? {
        [node.spec.name, node.description?.hostname].compactMap { $0 }.first { !$0.isEmpty }
    }

    /// The docker CLI's matching: an exact ID, then an exact name, then a unique ID prefix; references that match
    /// nothing are "no such service: X" (an error only if nothing matched at all).
    static func resolve(_ references: [String], client: EngineClient) async throws -> ([String], [String]) {
        let byID = try await client.services(filters: Filters(["id": Set(references)]))
        let byName = try await client.services(filters: Filters(["name": Set(references)]))
        var ids: [String] = []
        var notFound: [String] = []
        for reference in references {
            if let exact = byID.first(where: { $0.id == reference })
                ?? byName.first(where: { $0.spec.name == reference })
            {
                ids.append(exact.id)
                continue
            }
            let prefixed = byID.filter { $0.id.hasPrefix(reference) }
            if prefixed.count > 1 { throw CommandFailure("multiple services found with provided prefix: \(reference)") }
            if let only = prefixed.first {
                ids.append(only.id)
            } else {
                notFound.append("no such service: \(reference)")
            }
        }
        if ids.isEmpty { throw CommandFailure(notFound.joined(separator: "\n")) }
        return (ids, notFound)
    }
}

extension Set {
    /// The elements transformed one after another by an async function.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
