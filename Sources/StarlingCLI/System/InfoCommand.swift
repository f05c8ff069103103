import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling info`: the daemon's system and swarm information, in `docker info`'s layout.
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Display system-wide information")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let info: SystemInfo
        do {
            info = try await global.withClient { try await $0.info() }
        } catch {
            // As the docker CLI does: the Client section and an empty Server section, then the error.
            Output.write(InfoFormatting.render(nil, clientVersion: StarlingVersion.version))
            throw error
        }
        Output.write(InfoFormatting.render(info, clientVersion: StarlingVersion.version))
    }
}
