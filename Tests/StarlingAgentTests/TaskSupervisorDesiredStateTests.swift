import StarlingModel
import Testing

@testable import StarlingAgent

/// The desired states the managers write besides `running`: `complete` for jobs' tasks, which run like any other,
/// and `remove` for tasks of removed slots and services, which stop like `shutdown`.
@Suite(.timeLimit(.minutes(1))) struct TaskSupervisorDesiredStateTests {
    @Test func aJobTaskDesiredCompleteRunsToCompletion() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("job", desired: .complete)])
            await harness.recorder.waitFor("job", .running)
            await harness.executor.handle("job").exit(code: 0)
            await harness.recorder.waitFor("job", .complete)
            // The managers record it complete: the same task again changes nothing.
            await harness.apply(2, [processTask("job", desired: .complete, state: .complete)])
        }
        #expect(harness.recorder.states("job") == TaskSupervisorTests.startStates + [.complete])
        #expect(harness.executor.prepared.value == ["job"])
    }

    @Test func desiredRemoveStopsARunningTaskAsShutdownDoes() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1")])
            await harness.recorder.waitFor("t1", .running)
            await harness.apply(2, [processTask("t1", desired: .remove, state: .running)])
            await harness.recorder.waitFor("t1", .shutdown)
        }
        #expect(harness.recorder.states("t1") == TaskSupervisorTests.startStates + [.shutdown])
    }

    @Test func aTaskDesiredRemoveThatNeverRanHereIsNotStarted() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1", desired: .remove)])
        }
        #expect(harness.recorder.states("t1") == [.shutdown])
        #expect(harness.executor.prepared.value.isEmpty)
    }
}
