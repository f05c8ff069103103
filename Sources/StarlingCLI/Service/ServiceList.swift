import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling service ls`: the services with their replica counts, in `docker service ls`'s table.
struct ServiceList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List services", aliases: ["list"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filterOptions: FilterOptions

    @Flag(name: .shortAndLong, help: "Only display IDs")
    var quiet = false

    func run() async throws {
        try await global.withClient { client in
            // As the docker CLI: the counts only when they are shown.
            let services = try await client.services(filters: filterOptions.filters, status: !quiet)
            Output.write(ServiceFormatting.table(services, quiet: quiet))
        }
    }
}
