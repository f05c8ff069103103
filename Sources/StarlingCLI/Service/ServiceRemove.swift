import ArgumentParser
import StarlingClient

/// `starling service rm`: removes services, printing each one removed and carrying on after failures.
struct ServiceRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove one or more services", aliases: ["remove"])

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Service ID or name.", valueName: "SERVICE"))
    var services: [String]

    func validate() throws {
        if services.isEmpty { throw ValidationError("\"starling service rm\" requires at least 1 argument.") }
    }

    func run() async throws {
        try await global.withClient { client in
            var errors: [any Error] = []
            for service in services {
                do {
                    try await client.removeService(service)
                    Output.write(service + "\n")
                } catch {
                    errors.append(error)
                }
            }
            if !errors.isEmpty { throw CommandFailure(errors) }
        }
    }
}
