import ArgumentParser
import StarlingClient
import StarlingModel

/// `starling version`: the client's version and the daemon's, in `docker version`'s layout.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Show the Starling version information")

    @OptionGroup var global: GlobalOptions

    static var client: VersionFormatting.Client {
        #if arch(x86_64)
            let arch = "amd64"
        #elseif arch(arm64)
            let arch = "arm64"
        #else
            let arch = "unknown"
        #endif
        #if os(Linux)
            let os = "linux"
        #else
            let os = "darwin"
        #endif
        return .init(version: StarlingVersion.version, apiVersion: StarlingVersion.apiVersion, os: os, arch: arch)
    }

    func run() async throws {
        do {
            let server = try await global.withClient { try await $0.version() }
            Output.write(VersionFormatting.render(client: Self.client, server: server))
        } catch {
            Output.write(VersionFormatting.render(client: Self.client, server: nil))
            throw error
        }
    }
}
