import ArgumentParser
import StarlingDev

/// `starling dev fail NODE`: kills a node's daemon with SIGKILL, as a crash would.
struct DevFail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fail", abstract: "Kill a node's daemon (SIGKILL)")

    @OptionGroup var dev: DevOptions

    @Argument(help: ArgumentHelp("The node: node2, 2, or its node ID.", valueName: "NODE"))
    var node: String

    func run() async throws {
        let failed = try await DevOptions.run {
            try await DevOptions.cluster().fail(name: dev.name, layout: DevOptions.layout, node: node)
        }
        Output.write("\(failed.plan.hostname): daemon killed\n")
    }
}
