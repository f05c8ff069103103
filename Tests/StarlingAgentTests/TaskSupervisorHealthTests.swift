import StarlingExecutor
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingAgent

@Suite(.timeLimit(.minutes(1))) struct TaskSupervisorHealthTests {
    static let interval = Duration.seconds(5)
    static let check = HealthConfig(
        test: ["CMD-SHELL", "check"], interval: nanoseconds(interval), timeout: nanoseconds(.seconds(1)), retries: 2)
    static let failing = ExecResult(exitCode: 1, output: "down")
    static let passing = ExecResult(exitCode: 0, output: "up")

    /// Lets the next probe run once the health check sleeps (beside the resend tick), and waits until it has.
    static func probe(_ harness: SupervisorHarness, _ handle: FakeHandle) async {
        let before = handle.calls.value.probes
        await harness.clock.waitForSleepers(2)
        harness.clock.advance(by: interval)
        await handle.calls.wait { $0.probes > before }
    }

    @Test func aTaskWithAHealthCheckIsRunningOnlyOnceHealthy() async throws {
        let harness = SupervisorHarness()
        harness.executor.script("t1", FakeHandle.Script(probes: [Self.failing, Self.passing]))
        try await harness.running {
            await harness.apply(1, [processTask("t1", healthcheck: Self.check)])
            await harness.recorder.waitFor("t1", .starting)
            let handle = await harness.executor.handle("t1")
            await Self.probe(harness, handle)
            // The failed probe is handled once the check sleeps again: still starting.
            await harness.clock.waitForSleepers(2)
            #expect(harness.recorder.states("t1").last == .starting)
            await Self.probe(harness, handle)
            let running = await harness.recorder.waitFor("t1", .running)
            #expect(running.message == "started")
            #expect(running.containerStatus?.pid == 4242)
        }
        #expect(harness.recorder.states("t1") == [.accepted, .preparing, .ready, .starting, .running, .shutdown])
    }

    @Test func aTaskThatTurnsUnhealthyWhileStartingIsStoppedAndFails() async throws {
        let harness = SupervisorHarness()
        harness.executor.script(
            "t1", FakeHandle.Script(probes: [Self.failing, Self.failing], ignoresStopSignal: true))
        try await harness.running {
            await harness.apply(1, [processTask("t1", healthcheck: Self.check, stopGracePeriod: .seconds(2))])
            await harness.recorder.waitFor("t1", .starting)
            let handle = await harness.executor.handle("t1")
            await Self.probe(harness, handle)
            await Self.probe(harness, handle)
            let failed = await harness.recorder.waitFor("t1", .failed)
            #expect(failed.err == "task: non-zero exit (137): dockerexec: unhealthy container")
            #expect(failed.message == "starting")
            #expect(failed.containerStatus?.exitCode == 137)
            #expect(handle.calls.value.stops == [FakeHandle.Stop(signal: 15, gracePeriod: .seconds(2))])
        }
        #expect(harness.recorder.states("t1") == [.accepted, .preparing, .ready, .starting, .failed])
    }

    @Test func aRunningTaskThatTurnsUnhealthyIsStoppedAndFails() async throws {
        let harness = SupervisorHarness()
        harness.executor.script("t1", FakeHandle.Script(probes: [Self.passing, Self.failing, Self.failing]))
        try await harness.running {
            await harness.apply(1, [processTask("t1", healthcheck: Self.check)])
            let handle = await harness.executor.handle("t1")
            await Self.probe(harness, handle)
            await harness.recorder.waitFor("t1", .running)
            await Self.probe(harness, handle)
            await Self.probe(harness, handle)
            let failed = await harness.recorder.waitFor("t1", .failed)
            // The task honoured SIGTERM.
            #expect(failed.err == "task: non-zero exit (143): dockerexec: unhealthy container")
            #expect(failed.message == "started")
        }
        #expect(harness.recorder.states("t1") == [.accepted, .preparing, .ready, .starting, .running, .failed])
    }

    @Test func aTaskWithoutACheckOrWithNoneIsRunningAtOnce() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1", healthcheck: HealthConfig(test: ["NONE"]))])
            await harness.recorder.waitFor("t1", .running)
            #expect(await harness.executor.handle("t1").calls.value.probes == 0)
        }
    }
}
