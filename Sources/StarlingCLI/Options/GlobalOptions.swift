import ArgumentParser
import Foundation
import StarlingClient
import StarlingModel

/// The options every client command takes: which daemon to talk to.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: [.customShort("H"), .long],
        help: ArgumentHelp(
            "Daemon socket to connect to (default: $STARLING_HOST, a unix:// $DOCKER_HOST, or unix:///run/starling/starling.sock).",
            valueName: "host"))
    var host: String?

    /// The daemon's address: `-H`, else the environment, else the default socket.
    func address() throws -> EngineAddress {
        do {
            return try EngineAddress.resolve(explicit: host, environment: ProcessInfo.processInfo.environment)
        } catch let error as StarlingError {
            throw CommandFailure(error.message)
        }
    }

    /// Runs `body` with a client of the daemon, shut down afterwards.
    func withClient<T>(_ body: (EngineClient) async throws -> T) async throws -> T {
        try await EngineClient.withClient(address: try address(), body)
    }
}
