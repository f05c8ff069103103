import ArgumentParser
import StarlingDev

/// `starling dev restore NODE`: starts a failed node's daemon again, with the same state and flags.
struct DevRestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restart a failed node's daemon")

    @OptionGroup var dev: DevOptions

    @Argument(help: ArgumentHelp("The node: node2, 2, or its node ID.", valueName: "NODE"))
    var node: String

    func run() async throws {
        let status = try await DevOptions.run {
            try await DevOptions.cluster().restore(name: dev.name, layout: DevOptions.layout, node: node)
        }
        Output.write(DevTable.render(status))
    }
}
