import ArgumentParser
import Foundation
import StarlingClient
import StarlingModel

/// `starling service inspect`: services as the daemon's JSON (defaults filled in) or, with `--pretty`, as docker's
/// text.
struct ServiceInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Display detailed information on one or more services")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the information in a human friendly format")
    var pretty = false

    @Argument(help: ArgumentHelp("Service ID or name.", valueName: "SERVICE"))
    var services: [String]

    func validate() throws {
        if services.isEmpty { throw ValidationError("\"starling service inspect\" requires at least 1 argument.") }
    }

    func run() async throws {
        try await global.withClient { client in
            var found: [(service: SwarmService, raw: Data)] = []
            var errors: [any Error] = []
            for reference in services {
                do {
                    found.append(try await client.serviceWithRaw(reference, insertDefaults: true))
                } catch let error as StarlingError where error.code == .notFound {
                    // The docker CLI's wording for a reference that is not a service.
                    errors.append(CommandFailure("Error: no such service: \(reference)"))
                    if pretty { break }
                } catch {
                    if pretty { throw error }
                    errors.append(error)
                }
            }
            if pretty {
                if errors.isEmpty { Output.write(ServiceInspectFormatting.pretty(found.map(\.service), now: .now())) }
            } else {
                Output.write(ServiceInspectFormatting.json(found.map(\.raw)))
            }
            if !errors.isEmpty { throw CommandFailure(errors) }
        }
    }
}
