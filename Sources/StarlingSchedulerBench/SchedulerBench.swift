import ArgumentParser
import StarlingModel
import StarlingScheduler

/// `starling-scheduler-bench`: how many placements per second the scheduler makes on one thread, on simulated
/// clusters, in the shapes of SwarmKit's own scheduler benchmark and with tasks grouped by service.
@main struct SchedulerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling-scheduler-bench",
        abstract: "Placements per second of the scheduler on simulated clusters (single thread).",
        discussion: """
            Times building the scheduler from the node snapshot and placing every request; building the requests \
            is not timed. Prints the median of --runs runs per case. Build with -c release.
            """)

    @Option(name: .customLong("nodes"), parsing: .upToNextOption, help: "Cluster sizes.")
    var nodeCounts: [Int] = [1_000, 5_000]

    @Option(help: "Tasks per case.")
    var tasks = 100_000

    @Option(help: "Services in the grouped case (tasks are divided among them).")
    var services = 100

    @Option(help: "Runs per case; the median is reported.")
    var runs = 3

    @Option(help: "Seed for the node order.")
    var seed: UInt64 = 1

    @Option(
        name: .customLong("case"), parsing: .upToNextOption,
        help: "Cases to run: \(Workload.Shape.allCases.map(\.rawValue).joined(separator: ", ")).")
    var cases: [String] = Workload.Shape.allCases.map(\.rawValue)

    func validate() throws {
        guard runs > 0, tasks > 0, services > 0, nodeCounts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--runs, --tasks, --services and --nodes must be positive")
        }
        for name in cases where Workload.Shape(rawValue: name) == nil {
            throw ValidationError("unknown case \(name)")
        }
    }

    func run() throws {
        let shapes = cases.compactMap(Workload.Shape.init(rawValue:))
        print("seed \(seed), \(tasks) tasks per case, median of \(runs) runs, one thread")
        for shape in shapes { print("  \(shape.rawValue): \(shape.summary)") }
        print("")
        print(pad("nodes", 6) + pad("case", 22) + pad("tasks", 9) + pad("seconds", 10) + "placements/s")
        var failures: [String] = []
        for nodeCount in nodeCounts {
            for shape in shapes {
                let workload = Workload(shape, nodes: nodeCount, tasks: tasks, services: services)
                var durations: [Duration] = []
                var plan = SchedulingPlan(seed: seed)
                for _ in 0..<runs {
                    let clock = ContinuousClock()
                    let start = clock.now
                    plan = Scheduler.plan(for: workload.requests, on: workload.nodes, seed: seed)
                    durations.append(clock.now - start)
                }
                let median = durations.sorted()[durations.count / 2]
                let seconds = Double(median.components.seconds) + Double(median.components.attoseconds) / 1e18
                let rate = Double(plan.assignments.count) / seconds
                print(
                    pad("\(nodeCount)", 6) + pad(shape.rawValue, 22) + pad("\(workload.taskCount)", 9)
                        + pad(format(seconds, 3), 10) + format(rate, 0))
                if let problem = workload.check(plan) {
                    failures.append("\(nodeCount) nodes, \(shape.rawValue): \(problem)")
                }
            }
        }
        print("")
        print(
            "SwarmKit v2.1.1 on this machine (MACHINE-NOTES.md), 100,000 one-off tasks, store and 50 ms debounce included:"
        )
        print("  1,000 nodes: 6,400/s (5,300/s with the constraint); 5,000 nodes: 2,400/s (2,000/s)")
        if !failures.isEmpty {
            for failure in failures { print("FAILED: \(failure)") }
            throw ExitCode.failure
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ value: Double, _ decimals: Int) -> String {
        guard decimals > 0 else { return "\(Int(value.rounded()))" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let fraction = String(scaled % Int(scale))
        return "\(scaled / Int(scale)).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
    }
}
