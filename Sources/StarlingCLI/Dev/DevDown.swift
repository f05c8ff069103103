import ArgumentParser
import StarlingDev

/// `starling dev down`: stops a cluster and removes what `dev up` created. Safe to run twice.
struct DevDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop a local cluster and remove it")

    @OptionGroup var dev: DevOptions

    @Flag(help: "Keep the nodes' state directories and logs (sockets and namespaces are removed).")
    var keepState = false

    func run() async throws {
        let report = try await DevOptions.run {
            try await DevOptions.cluster().down(name: dev.name, layout: DevOptions.layout, keepState: keepState)
        }
        guard !report.didNothing else {
            Output.write("Nothing to remove for dev cluster \(dev.name).\n")
            return
        }
        var lines: [String] = []
        if !report.stopped.isEmpty {
            let killed = report.killed.isEmpty ? "" : " (\(report.killed.count) killed after the grace period)"
            lines.append("Stopped \(report.stopped.count) daemons\(killed)")
        }
        if !report.deletedNamespaces.isEmpty {
            lines.append("Deleted network namespaces \(report.deletedNamespaces.joined(separator: ", "))")
        }
        for path in report.removedPaths { lines.append("Removed \(path)") }
        Output.write(lines.map { $0 + "\n" }.joined())
    }
}
