import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling service`: create, list, inspect, scale and remove services, list their tasks and read their logs.
struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Manage Swarm services",
        subcommands: [
            ServiceCreate.self, ServiceInspect.self, ServiceLogs.self, ServiceList.self, ServicePS.self,
            ServiceRemove.self, ServiceScale.self,
        ]
    )
}

/// `-d/--detach` and `-q/--quiet`, shared by the commands that wait for a service to converge.
struct ConvergenceOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Exit immediately instead of waiting for the service to converge")
    var detach = false

    @Flag(name: .shortAndLong, help: "Suppress progress output")
    var quiet = false
}

/// `--filter name=value`, repeatable, as the docker CLI reads it.
struct FilterOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Filter output based on conditions provided", valueName: "filter"),
        transform: NodeList.parseFilter)
    var filter: [NodeList.FilterTerm] = []

    var filters: Filters {
        var values: [String: Set<String>] = [:]
        for term in filter { values[term.name, default: []].insert(term.value) }
        return Filters(values)
    }
}
