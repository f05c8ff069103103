import ArgumentParser
import Foundation
import StarlingModel

/// `starling-bench services`: replicated services on real daemons over loopback, beside Docker Swarm's figures with
/// containers on the same machine (`/work/shared/MACHINE-NOTES.md`).
///
/// Each run forms a fresh 3-node swarm and times, from the API call to the condition seen through the manager's API:
/// 30 and 90 process replicas created until all run; a drain of a node with 10 tasks until all run elsewhere; a
/// SIGKILL of a worker with 10 tasks until it is Down and until all 30 replicas run again. Timings are printed, never
/// asserted. Everything started, task processes included, is stopped and removed at the end, on failure and on
/// Ctrl-C too.
struct ServicesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "services",
        abstract: "Time service creation, drain and failover of process replicas on loopback daemons.")

    @Option(help: "Runs, each on a fresh swarm (default 5; 1 with --quick).")
    var runs: Int?

    @Flag(help: "A short run for smoke tests: 1 run.")
    var quick = false

    @Option(help: ArgumentHelp("The starling binary (default: the one next to this executable).", valueName: "path"))
    var binary: String?

    @Option(help: ArgumentHelp("Milliseconds between two polls of the manager's API.", valueName: "ms"))
    var interval = 20

    @Option(
        help: ArgumentHelp(
            "Seconds the drained node's tasks get to move before the drain is reported as not measurable.",
            valueName: "seconds"))
    var drainTimeout: Double = 20

    @Option(
        help: ArgumentHelp(
            "Seconds any other timed step may take before it is reported as not measurable.", valueName: "seconds"))
    var stepTimeout: Double = 120

    @Flag(help: "Keep the daemons' state directories and logs (the path is printed) instead of removing them.")
    var keep = false

    var effectiveRuns: Int { runs ?? (quick ? 1 : 5) }

    func validate() throws {
        guard effectiveRuns >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1 ms") }
        guard drainTimeout > 0, stepTimeout > 0 else {
            throw ValidationError("--drain-timeout and --step-timeout must be positive")
        }
    }

    func run() async throws {
        let binary = try StarlingBinary.resolve(binary)
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        report(
            "starling-bench services (\(build) benchmark build; daemon binary \(binary); "
                + "\(ProcessInfo.processInfo.activeProcessorCount) CPUs; polling every \(interval) ms)")
        try await BenchWorkspace.with(binary: binary, keep: keep) { workspace in
            let service = ServiceRun(
                workspace: workspace, interval: .milliseconds(interval), drainTimeout: .seconds(drainTimeout),
                stepTimeout: .seconds(stepTimeout))
            var samples: [ServiceSample] = []
            for number in 1...effectiveRuns {
                let sample = try await service.run(number: number)
                progress(
                    "run \(number)/\(effectiveRuns): create 30 \(Self.text(sample.create30)), "
                        + "create 90 \(Self.text(sample.create90)), drain \(Self.text(sample.drain)), "
                        + "kill -9 → all running \(Self.text(sample.killToRecovered))")
                samples.append(sample)
            }
            Self.printFigures(samples)
        }
    }

    private static func text(_ outcome: ServiceSample.Outcome) -> String {
        switch outcome {
        case .measured(let duration): Figure.seconds(duration.seconds)
        case .notMeasured(let reason): "n/a (\(reason))"
        }
    }

    static func printFigures(_ samples: [ServiceSample]) {
        let figures: [(String, KeyPath<ServiceSample, ServiceSample.Outcome>, String)] = [
            ("create 30 replicas → all running", \.create30, "5.2 s"),
            ("create 90 replicas → all running", \.create90, "18.3 s"),
            ("kill -9 worker (10 tasks) → Down", \.killToDown, "14.1 s"),
            ("kill -9 worker → all 30 running again", \.killToRecovered, "21.3 s"),
            ("drain (10 tasks) → all running elsewhere", \.drain, "3.4 s; goal ≤ 1.5 s"),
        ]
        for (label, figure, swarm) in figures {
            report(Figure.line(label, summary(samples.map { $0[keyPath: figure] }), swarm: swarm))
        }
    }

    /// The summary of the runs that measured the figure, followed by why the others did not; `n/a (why)` when none
    /// did.
    static func summary(_ outcomes: [ServiceSample.Outcome]) -> String {
        let measured = outcomes.compactMap(\.duration)
        let reasons = outcomes.compactMap { outcome -> String? in
            if case .notMeasured(let reason) = outcome { return reason }
            return nil
        }
        guard !measured.isEmpty else { return "n/a (\(reasons.first ?? "not measured"))" }
        let text = Summary(measured).text(Figure.seconds)
        guard let reason = reasons.first else { return text }
        return "\(text); n/a in \(reasons.count) of \(outcomes.count) runs (\(reason))"
    }
}
