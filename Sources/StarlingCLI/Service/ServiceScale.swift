import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling service scale web=3 [api=2]`: sets the replicas (or a replicated job's completions) of each service,
/// then waits for each to converge unless `-d`.
struct ServiceScale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Scale one or multiple replicated services")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Exit immediately instead of waiting for the service to converge")
    var detach = false

    @Argument(help: ArgumentHelp("The services and their replica counts.", valueName: "SERVICE=REPLICAS"))
    var scales: [String]

    func validate() throws {
        if scales.isEmpty { throw ValidationError("\"starling service scale\" requires at least 1 argument.") }
        for scale in scales {
            let parts = scale.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count != 2 || parts[0].isEmpty || parts[1].isEmpty {
                throw ValidationError("Invalid scale specifier '\(scale)'.")
            }
        }
    }

    func run() async throws {
        try await global.withClient { client in
            var errors: [String] = []
            var scaled: [String] = []
            for argument in scales {
                let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
                let (reference, text) = (parts[0], parts[1])
                guard let replicas = UInt64(text) else {
                    errors.append(
                        "\(reference): invalid replicas value \(text): strconv.ParseUint: parsing \"\(text)\": invalid syntax"
                    )
                    continue
                }
                do {
                    try await Self.scale(reference, to: replicas, client: client)
                    scaled.append(reference)
                } catch {
                    errors.append("\(reference): \(CommandFailure.message(error))")
                }
            }
            if !detach {
                for reference in scaled {
                    do {
                        try await ServiceWait.wait(client: client, serviceID: reference, quiet: false)
                    } catch {
                        errors.append("\(reference): \(CommandFailure.message(error))")
                    }
                }
            }
            if !errors.isEmpty { throw CommandFailure(errors.joined(separator: "\n")) }
        }
    }

    /// Reads the service and sends its whole spec back with the new count, at the version it was read at.
    static func scale(_ reference: String, to replicas: UInt64, client: EngineClient) async throws {
        let service = try await client.service(reference)
        var spec = service.spec
        switch spec.mode {
        case .replicated: spec.mode = .replicated(replicas: replicas)
        case .replicatedJob(let maxConcurrent, _):
            spec.mode = .replicatedJob(maxConcurrent: maxConcurrent, totalCompletions: replicas)
        case .global, .globalJob:
            throw CommandFailure("scale can only be used with replicated or replicated-job mode")
        }
        let answer = try await client.updateService(service.id, version: service.version.index, spec: spec)
        for warning in answer.warnings ?? [] { Output.error(warning) }
        Output.write("\(reference) scaled to \(replicas)\n")
    }
}
