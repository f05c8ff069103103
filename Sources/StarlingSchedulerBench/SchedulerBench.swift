import ArgumentParser
import StarlingScheduler

/// `starling-scheduler-bench`: placements per second of the scheduler on simulated clusters.
@main struct SchedulerBench: ParsableCommand {
    func run() throws {}
}
