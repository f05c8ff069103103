import Foundation
import StarlingClient
import StarlingModel
import Testing

/// How tasks end and what replaces them on real daemons: jobs run to completion, restart policies decide on
/// replacements, and a failing health check fails the task.
@Suite(.serialized) struct ServiceLifecycleTests {
    /// A replicated job completes `TotalCompletions` tasks, never running more than `MaxConcurrent` at once as far as
    /// polling every 20 ms can tell; a global job completes once on every node.
    @Test(.timeLimit(.minutes(3)))
    func jobsRunToCompletion() async throws {
        try await ServiceScenario.run { scenario in
            let work = ["sh", "-c", "sleep 0.3"]
            let job = try await scenario.create(
                ServiceScenario.processService(
                    "six", mode: .replicatedJob(maxConcurrent: 2, totalCompletions: 6), args: work,
                    restart: RestartPolicy(condition: .onFailure, delay: 0)))
            var mostRunning = 0
            var mostActive = 0
            let done = try await scenario.waitForTasks(of: job, "6 job tasks complete", timeout: .seconds(90)) {
                tasks in
                mostRunning = max(mostRunning, tasks.filter { $0.status.state == .running }.count)
                mostActive = max(mostActive, tasks.filter { !$0.status.state.isTerminal }.count)
                return tasks.filter { $0.status.state == .complete }.count == 6
            }
            #expect(done.count == 6, "no task failed or was retried:\n\(ServiceScenario.describe(done))")
            #expect(mostRunning >= 1 && mostRunning <= 2, "at most 2 ran at once (seen: \(mostRunning))")
            #expect(mostActive <= 2, "at most 2 were under way at once (seen: \(mostActive))")
            #expect(done.allSatisfy { $0.status.containerStatus?.exitCode == 0 })

            let global = try await scenario.create(
                ServiceScenario.processService("once-per-node", mode: .globalJob, args: work))
            let completed = try await scenario.waitForTasks(of: global, "the global job completes on 3 nodes") {
                $0.filter { $0.status.state == .complete }.count == 3
            }
            let names = try await scenario.nodeIDs()
            #expect(ServiceScenario.perNode(completed, names: names) == ["m1": 1, "w1": 1, "w2": 1])
        }
    }

    /// `none`: a failed task stays failed. `on-failure` with 2 attempts: three tasks in the slot, then no more; a
    /// task that exits 0 is not restarted. Whether nothing more happens is checked after a restarting control
    /// service has gone through two more orchestration passes, not after a sleep.
    @Test(.timeLimit(.minutes(3)))
    func restartPoliciesDecideOnReplacements() async throws {
        try await ServiceScenario.run { scenario in
            let failing = ["sh", "-c", "exit 3"]
            let never = try await scenario.create(
                ServiceScenario.processService(
                    "never", mode: .replicated(replicas: 1), args: failing, restart: RestartPolicy(condition: .never)))
            let twice = try await scenario.create(
                ServiceScenario.processService(
                    "twice", mode: .replicated(replicas: 1), args: failing,
                    restart: RestartPolicy(condition: .onFailure, delay: 0, maxAttempts: 2)))
            let clean = try await scenario.create(
                ServiceScenario.processService(
                    "clean", mode: .replicated(replicas: 1), args: ["true"],
                    restart: RestartPolicy(condition: .onFailure, delay: 0)))
            let control = try await scenario.create(
                ServiceScenario.processService(
                    "control", mode: .replicated(replicas: 1), args: failing,
                    restart: RestartPolicy(condition: .any, delay: 0)))

            try await scenario.waitForTasks(of: never, "the 'none' task fails") {
                $0.contains { $0.status.state == .failed }
            }
            try await scenario.waitForTasks(of: twice, "the 'on-failure' slot has failed 3 times") {
                $0.filter { $0.status.state == .failed }.count == 3
            }
            try await scenario.waitForTasks(of: clean, "the clean task completes") {
                $0.contains { $0.status.state == .complete }
            }
            var seen = Set(try await scenario.tasks(of: control).map(\.id))
            var newer = 0
            try await scenario.waitForTasks(of: control, "the control service restarts twice more") { tasks in
                newer += tasks.filter { !seen.contains($0.id) }.count
                seen.formUnion(tasks.map(\.id))
                return newer >= 2
            }

            let neverTasks = try await scenario.tasks(of: never)
            #expect(neverTasks.count == 1, "not restarted:\n\(ServiceScenario.describe(neverTasks))")
            #expect(neverTasks.first?.status.err == "task: non-zero exit (3)")
            let twiceTasks = try await scenario.tasks(of: twice)
            #expect(twiceTasks.count == 3, "first run and 2 restarts:\n\(ServiceScenario.describe(twiceTasks))")
            #expect(twiceTasks.allSatisfy { $0.slot == 1 && $0.status.state == .failed })
            let cleanTasks = try await scenario.tasks(of: clean)
            #expect(cleanTasks.count == 1, "a clean exit is not a failure:\n\(ServiceScenario.describe(cleanTasks))")
        }
    }

    /// `any` with a delay: a task that exits 0 is replaced, each replacement created no earlier than the delay after
    /// its predecessor ended (both times as the cluster recorded them).
    @Test(.timeLimit(.minutes(3)))
    func restartAnyWaitsTheDelay() async throws {
        try await ServiceScenario.run { scenario in
            let delay: Int64 = 700_000_000
            let service = try await scenario.create(
                ServiceScenario.processService(
                    "delayed", mode: .replicated(replicas: 1), args: ["true"],
                    restart: RestartPolicy(condition: .any, delay: delay)))
            let tasks = try await scenario.waitForTasks(of: service, "the task has been replaced twice") {
                $0.count >= 3 && $0.filter { $0.status.state == .complete }.count >= 2
            }
            let history = tasks.sorted { $0.createdAt < $1.createdAt }
            var checked = 0
            for (ended, next) in zip(history, history.dropFirst()) where ended.status.state == .complete {
                let gap = next.createdAt.date.timeIntervalSince(ended.status.timestamp.date)
                #expect(gap >= Double(delay) / 1e9 - 0.000_001, "replaced \(gap) s after it ended")
                checked += 1
            }
            #expect(
                checked >= 2, "completed tasks keep their state and end time:\n\(ServiceScenario.describe(history))")
        }
    }

    /// A task that was healthy fails once its check fails (Docker's "dockerexec: unhealthy container") and is
    /// replaced by a task that becomes healthy again.
    @Test(.timeLimit(.minutes(3)))
    func anUnhealthyTaskFailsAndIsReplaced() async throws {
        try await ServiceScenario.run { scenario in
            let marker = scenario.harness.directory + "/healthy"
            let check = HealthConfig(
                test: ["CMD-SHELL", "test -f '\(marker)'"], interval: 100_000_000, timeout: 2_000_000_000, retries: 2,
                startPeriod: 30_000_000_000)
            let service = try await scenario.create(
                ServiceScenario.processService(
                    "checked", mode: .replicated(replicas: 1),
                    args: ["sh", "-c", "touch '\(marker)'; trap 'exit 0' TERM; sleep 3600 & wait"],
                    healthcheck: check))
            let healthy = try await scenario.waitForTasks(of: service, "the task is healthy, so running") {
                ServiceScenario.running($0).count == 1
            }
            let first = try #require(healthy.first { $0.status.state == .running })

            try FileManager.default.removeItem(atPath: marker)
            let after = try await scenario.waitForTasks(of: service, "the task fails and a new one runs") { tasks in
                tasks.contains { $0.id == first.id && $0.status.state == .failed }
                    && ServiceScenario.running(tasks).contains { $0.id != first.id }
            }
            let failed = try #require(after.first { $0.id == first.id })
            #expect(failed.status.err == "dockerexec: unhealthy container")
            let replacement = try #require(ServiceScenario.running(after).first)
            #expect(replacement.slot == first.slot)
        }
    }
}
