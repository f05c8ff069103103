import ArgumentParser
import Foundation
import StarlingModel

/// `starling-bench cluster`: the cluster foundation's figures on real daemons over loopback, beside Docker Swarm's.
///
/// 1. `init + 2 joins until all Ready`, on fresh daemons each run (their start is timed on its own line);
/// 2. `kill -9 worker → Down`, as the manager's `node ls` reports it;
/// 3. idle resident memory of the manager and of a worker;
/// 4. heartbeat load: simulated agents joining and heartbeating against one manager.
///
/// Timings are printed, never asserted. Everything started is stopped and removed at the end, on failure and on
/// Ctrl-C too.
struct ClusterBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Time swarm formation, failure detection, idle memory and heartbeat load on loopback daemons.")

    @Option(help: "Formation runs, each on fresh daemons (default 5; 1 with --quick).")
    var runs: Int?

    @Option(help: "Simulated agents for the heartbeat load; 0 skips it (default 1000; 200 with --quick).")
    var agents: Int?

    @Flag(help: "A short run for smoke tests: 1 formation run and 200 simulated agents.")
    var quick = false

    @Option(help: ArgumentHelp("The starling binary (default: the one next to this executable).", valueName: "path"))
    var binary: String?

    @Option(help: ArgumentHelp("Seconds the heartbeat load is measured over.", valueName: "seconds"))
    var window: Double = 10

    @Option(help: ArgumentHelp("Seconds the cluster idles before its memory is read.", valueName: "seconds"))
    var idle: Double = 3

    @Option(help: "Join requests in flight at once, and sessions being opened at once, in the heartbeat load.")
    var joinConcurrency = 32

    @Flag(help: "Keep the daemons' state directories and logs (the path is printed) instead of removing them.")
    var keep = false

    var effectiveRuns: Int { runs ?? (quick ? 1 : 5) }
    var effectiveAgents: Int { agents ?? (quick ? 200 : 1000) }

    func validate() throws {
        guard effectiveRuns >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard effectiveAgents >= 0 else { throw ValidationError("--agents must not be negative") }
        guard window > 0, idle >= 0 else { throw ValidationError("--window must be positive and --idle not negative") }
        guard joinConcurrency >= 1 else { throw ValidationError("--join-concurrency must be at least 1") }
    }

    func run() async throws {
        let binary = try StarlingBinary.resolve(binary)
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        report(
            "starling-bench cluster (\(build) benchmark build; daemon binary \(binary); "
                + "\(ProcessInfo.processInfo.activeProcessorCount) CPUs)")
        try await BenchWorkspace.with(binary: binary, keep: keep) { workspace in
            var samples: [FormationSample] = []
            let formation = SwarmFormation(workspace: workspace, idle: .seconds(idle))
            for number in 1...effectiveRuns {
                let sample = try await formation.run(number: number)
                progress(
                    "run \(number)/\(effectiveRuns): init + 2 joins \(Figure.seconds(sample.formation.seconds)), "
                        + "kill -9 → Down \(Figure.seconds(sample.killToDown.seconds))")
                samples.append(sample)
            }
            Self.printFigures(samples)
            if effectiveAgents > 0 {
                let load = HeartbeatLoad(
                    workspace: workspace, agents: effectiveAgents, concurrency: joinConcurrency,
                    window: .seconds(window))
                Self.printFigures(try await load.run())
            }
        }
    }

    // MARK: Report

    static func printFigures(_ samples: [FormationSample]) {
        let starts = Summary(samples.flatMap(\.daemonStarts))
        report(Figure.line("daemon start (until its API answers)", starts.text(Figure.seconds, unit: "starts")))
        report(
            Figure.line(
                "init + 2 joins until all Ready", Summary(samples.map(\.formation)).text(Figure.seconds),
                swarm: "1.0 s"))
        report(
            Figure.line(
                "kill -9 worker → Down", Summary(samples.map(\.killToDown)).text(Figure.seconds), swarm: "14.5 s"))
        report(
            Figure.line(
                "idle RSS, manager daemon", Summary(samples.map(\.managerIdleRSS)).text(Figure.mebibytes),
                swarm: "233 MB (dockerd + containerd)"))
        report(
            Figure.line(
                "idle RSS, worker daemon", Summary(samples.map(\.workerIdleRSS)).text(Figure.mebibytes),
                swarm: "140 MB (dockerd + containerd)"))
    }

    static func printFigures(_ load: HeartbeatLoadResult) {
        let agents = load.agents
        let seconds = load.window.seconds
        let joinRate = Figure.rate(Double(agents) / load.joins.seconds)
        let sessionRate = Figure.rate(Double(agents) / load.sessions.seconds)
        let expected = load.period.map {
            " (\(agents) agents at that period: \(Figure.rate(Double(agents) / $0.seconds))/s)"
        }
        report(
            Figure.line(
                "heartbeat load: \(agents) joins",
                "\(Figure.seconds(load.joins.seconds)) (\(joinRate) joins/s, \(load.joinConcurrency) in flight)"))
        report(
            Figure.line(
                "heartbeat load: \(agents) sessions up", "\(Figure.seconds(load.sessions.seconds)) (\(sessionRate)/s)"))
        report(
            Figure.line(
                "heartbeat period handed out", load.period.map { Figure.seconds($0.seconds) } ?? "none seen",
                swarm: "5 s by default"))
        report(
            Figure.line(
                "heartbeats acknowledged",
                "\(Figure.rate(load.heartbeatsPerSecond))/s over \(Figure.seconds(seconds))\(expected ?? "")",
                swarm: "not measured; 200/s for 1,000 nodes at its 5 s period"))
        report(
            Figure.line(
                "manager CPU under \(agents) agents",
                "\(Figure.percent(100 * load.managerCPU / seconds)) of one core "
                    + "(the simulated agents: \(Figure.percent(100 * load.benchmarkCPU / seconds)))"))
        report(Figure.line("manager RSS under \(agents) agents", Figure.mebibytes(load.managerRSS)))
        report(Figure.line("nodes Ready", "\(load.readyNodes) of \(load.nodes) (expected \(agents + 1))"))
        if load.sessionFailures > 0 {
            report(
                Figure.line(
                    "session failures", "\(load.sessionFailures) (last: \(load.lastFailure ?? "no reason given"))"))
        }
    }
}
