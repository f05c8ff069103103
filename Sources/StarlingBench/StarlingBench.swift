import ArgumentParser

/// `starling-bench`: measures Starling on this machine and prints each figure beside the Docker Swarm baseline
/// measured on the same kind of machine (`/work/shared/MACHINE-NOTES.md`).
@main
struct StarlingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling-bench",
        abstract: "Benchmarks of Starling, printed beside Docker Swarm's figures on the same machines.",
        subcommands: [ClusterBenchmark.self, ServicesBenchmark.self])
}
