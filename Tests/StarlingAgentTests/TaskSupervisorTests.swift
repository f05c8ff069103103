import StarlingControlPlane
import StarlingExecutor
import StarlingModel
import StarlingTestSupport
import Synchronization
import Testing

@testable import StarlingAgent

@Suite(.timeLimit(.minutes(1))) struct TaskSupervisorTests {
    static let startStates: [TaskState] = [.accepted, .preparing, .ready, .starting, .running]

    @Test func aTaskGoesThroughEveryStateToComplete() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1")])
            let running = await harness.recorder.waitFor("t1", .running)
            #expect(running.containerStatus == ContainerStatus(containerID: "t1", pid: 4242))
            await harness.executor.handle("t1").exit(code: 0)
            let complete = await harness.recorder.waitFor("t1", .complete)
            #expect(complete.containerStatus == ContainerStatus(containerID: "t1", pid: 4242, exitCode: 0))
            #expect(complete.err == nil)
        }
        let statuses = harness.recorder.statuses("t1")
        #expect(statuses.map(\.state) == Self.startStates + [.complete])
        #expect(statuses.map(\.message) == ["accepted", "preparing", "prepared", "starting", "started", "finished"])
        // Stamped in the order observed, and only ever forward.
        #expect(statuses.map(\.timestamp) == statuses.map(\.timestamp).sorted())
        #expect(Set(statuses.map(\.timestamp)).count == statuses.count)
        #expect(harness.executor.prepared.value == ["t1"])
    }

    @Test func theExecutorGetsTheTaskAsMapped() async throws {
        let harness = SupervisorHarness()
        var task = processTask("t1", command: ["/bin/server"], args: ["--port", "80"])
        task.spec.containerSpec?.env = ["A=1"]
        task.spec.containerSpec?.dir = "/srv"
        task.spec.resources = ResourceRequirements(limits: ResourceLimit(memoryBytes: 64 << 20, pids: 10))
        try await harness.running {
            await harness.apply(1, [task])
            let handle = await harness.executor.handle("t1")
            #expect(handle.executable.commandLine == ["/bin/server", "--port", "80"])
            #expect(handle.executable.environment == ["A=1"])
            #expect(handle.executable.workingDirectory == "/srv")
            #expect(handle.executable.resources == TaskResources(memoryBytes: 64 << 20, pidsLimit: 10))
        }
    }

    @Test func aNonZeroExitFailsWithDockersError() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1")])
            await harness.recorder.waitFor("t1", .running)
            await harness.executor.handle("t1").exit(code: 3)
            let failed = await harness.recorder.waitFor("t1", .failed)
            #expect(failed.err == "task: non-zero exit (3)")
            #expect(failed.message == "started")
            #expect(failed.containerStatus == ContainerStatus(containerID: "t1", pid: 4242, exitCode: 3))
        }
        #expect(harness.recorder.states("t1") == Self.startStates + [.failed])
    }

    @Test func anOOMKillSaysSo() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1")])
            await harness.recorder.waitFor("t1", .running)
            await harness.executor.handle("t1").exit(StarlingExecutor.ExitStatus(.signaled(signal: 9), oomKilled: true))
            let failed = await harness.recorder.waitFor("t1", .failed)
            #expect(failed.err == "task: non-zero exit (137): OOM killed")
            #expect(failed.containerStatus?.exitCode == 137)
        }
    }

    @Test func aTaskTheExecutorRefusesIsRejected() async throws {
        let harness = SupervisorHarness()
        harness.executor.refuse("t1", with: .invalidArgument("exec: \"nope\": executable file not found in $PATH"))
        try await harness.running {
            await harness.apply(1, [processTask("t1", command: ["nope"])])
            let rejected = await harness.recorder.waitFor("t1", .rejected)
            #expect(rejected.err == "exec: \"nope\": executable file not found in $PATH")
            #expect(rejected.message == "preparing")
        }
        #expect(harness.recorder.states("t1") == [.accepted, .preparing, .rejected])
    }

    @Test func aTaskThatCannotStartFails() async throws {
        let harness = SupervisorHarness()
        harness.executor.script("t1", FakeHandle.Script(startError: .internal("cannot join its cgroup")))
        try await harness.running {
            await harness.apply(1, [processTask("t1")])
            let failed = await harness.recorder.waitFor("t1", .failed)
            #expect(failed.err == "starting task failed: cannot join its cgroup")
            #expect(failed.message == "starting")
        }
        #expect(harness.recorder.states("t1") == [.accepted, .preparing, .ready, .starting, .failed])
    }

    @Test func aRuntimeThisNodeLacksIsRejectedAtOnce() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1", runtime: nil)])
            let rejected = await harness.recorder.waitFor("t1", .rejected)
            #expect(rejected.err == "unsupported runtime type: \"container\"")
            #expect(rejected.message == "resolving controller failed")
        }
        #expect(harness.recorder.states("t1") == [.rejected])
        #expect(harness.executor.prepared.value.isEmpty)
        #expect(harness.supervisor.supportedRuntimes == ["process"])
    }

    @Test func theRuntimeLabelOnTheContainerSpecSelectsTheProcessRuntime() async throws {
        let harness = SupervisorHarness()
        var task = processTask("t1", runtime: .container)
        task.spec.containerSpec?.labels = [StarlingLabel.runtime: "process"]
        try await harness.running {
            await harness.apply(1, [task])
            await harness.recorder.waitFor("t1", .running)
        }
    }

    @Test func aProcessTaskWithoutACommandOrWithAnInvalidStopSignalIsRejected() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1", command: nil), processTask("t2", stopSignal: "SIGNOPE")])
            let noCommand = await harness.recorder.waitFor("t1", .rejected)
            #expect(noCommand.err?.hasPrefix("no command specified") == true)
            #expect(await harness.recorder.waitFor("t2", .rejected).err == "Invalid signal: SIGNOPE")
        }
        #expect(harness.executor.prepared.value.isEmpty)
    }

    @Test func desiredShutdownStopsWithTheTasksSignalAndGracePeriod() async throws {
        let harness = SupervisorHarness()
        let task = processTask("t1", stopSignal: "SIGINT", stopGracePeriod: .seconds(3))
        try await harness.running {
            await harness.apply(1, [task])
            await harness.recorder.waitFor("t1", .running)
            await harness.apply(2, [task.with(desired: .shutdown)])
            let shutdown = await harness.recorder.waitFor("t1", .shutdown)
            #expect(shutdown.message == "shutdown")
            #expect(shutdown.containerStatus?.exitCode == 130)
            let handle = await handle("t1", keptUntilUnassignedBy: harness)
            #expect(handle.calls.value.stops == [FakeHandle.Stop(signal: 2, gracePeriod: .seconds(3))])
        }
        #expect(harness.recorder.states("t1") == Self.startStates + [.shutdown])
    }

    /// The handle of `t1`, which must be kept (logs readable) while the task is assigned, and removed once the next
    /// assignment set leaves it out.
    func handle(_ id: String, keptUntilUnassignedBy harness: SupervisorHarness) async -> FakeHandle {
        let handle = await harness.executor.handle(id)
        #expect(!handle.calls.value.removed)
        await harness.apply(100, [])
        await handle.calls.wait { $0.removed }
        #expect(harness.supervisor.handles([id]).isEmpty)
        return handle
    }

    @Test func aTaskThatLeavesTheAssignmentSetIsStopped() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1"), processTask("t2")])
            await harness.recorder.waitFor("t1", .running)
            await harness.recorder.waitFor("t2", .running)
            await harness.apply(2, [processTask("t2", state: .running)])
            await harness.recorder.waitFor("t1", .shutdown)
            let handle = await harness.executor.handle("t1")
            await handle.calls.wait { $0.removed }
            #expect(handle.calls.value.stops == [FakeHandle.Stop(signal: 15, gracePeriod: .seconds(10))])
            #expect(await harness.executor.handle("t2").calls.value.stops.isEmpty)
        }
        // Once its lifecycle is over, a task no longer assigned is forgotten; an assigned one is kept.
        #expect(harness.supervisor.state.withLock { $0.tasks["t1"] == nil && $0.tasks["t2"] != nil })
    }

    @Test func aTaskAskedToStopWhilePreparingNeverStarts() async throws {
        let harness = SupervisorHarness()
        harness.executor.gate("t1")
        try await harness.running {
            await harness.apply(1, [processTask("t1")])
            await harness.recorder.waitFor("t1", .preparing)
            await harness.apply(2, [processTask("t1", desired: .shutdown, state: .preparing)])
            harness.executor.open("t1")
            await harness.recorder.waitFor("t1", .shutdown)
            let handle = await handle("t1", keptUntilUnassignedBy: harness)
            #expect(!handle.calls.value.started)
        }
        #expect(harness.recorder.states("t1") == [.accepted, .preparing, .shutdown])
    }

    @Test func aTaskNeverRunHereIsShutDownWithoutRunning() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1", desired: .shutdown)])
            #expect(harness.recorder.states("t1") == [.shutdown])
            // The same set again reports nothing new.
            await harness.apply(2, [processTask("t1", desired: .shutdown)])
        }
        #expect(harness.recorder.states("t1") == [.shutdown])
        #expect(harness.executor.prepared.value.isEmpty)
    }

    @Test func terminalTasksAreLeftAlone() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1", state: .failed), processTask("t2", state: .complete)])
        }
        #expect(harness.recorder.attempts.value.isEmpty)
        #expect(harness.executor.prepared.value.isEmpty)
    }

    @Test func aFinishedTaskStaysFinishedWhenItsDesiredStateChanges() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1")])
            await harness.recorder.waitFor("t1", .running)
            let handle = await harness.executor.handle("t1")
            handle.exit(code: 0)
            await harness.recorder.waitFor("t1", .complete)
            // Its handle is kept (its logs) until the managers let go of the task.
            #expect(!handle.calls.value.removed)
            #expect(harness.supervisor.handles(["t1", "unknown"]).keys.sorted() == ["t1"])
            await harness.apply(2, [processTask("t1", desired: .shutdown, state: .complete)])
            _ = await self.handle("t1", keptUntilUnassignedBy: harness)
            #expect(handle.calls.value.stops.isEmpty)
        }
        #expect(harness.recorder.states("t1") == Self.startStates + [.complete])
    }

    @Test func aTaskTheManagersSawProgressHereButThisAgentDoesNotRunIsFailed() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("t1", state: .running)])
        }
        let statuses = harness.recorder.statuses("t1")
        #expect(statuses.map(\.state) == [.failed])
        #expect(statuses.first?.err == "task is no longer running on this node: its agent restarted")
        #expect(harness.executor.prepared.value.isEmpty)
    }

    @Test func theStatesOfAnAssignmentSetGoOutAsOneReport() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(1, [processTask("a"), processTask("b"), processTask("c", runtime: nil)])
            // Lifecycles may have added to it by the time it is sent, never before it.
            let first = (harness.recorder.delivered.first?.updates ?? []).prefix(3)
            #expect(first.map(\.taskID) == ["a", "b", "c"])
            #expect(first.map(\.status.state) == [.accepted, .accepted, .rejected])
            await harness.recorder.waitFor("a", .running)
            await harness.recorder.waitFor("b", .running)
        }
        #expect(harness.recorder.states("a") == Self.startStates + [.shutdown])
    }

    @Test func statesThatCouldNotBeSentAreSentAgainLatestOnly() async throws {
        let harness = SupervisorHarness()
        harness.recorder.connected = false
        try await harness.running {
            await harness.apply(1, [processTask("t1")])
            await harness.recorder.waitFor("t1", .running, delivered: false)
            #expect(harness.recorder.delivered.isEmpty)
            harness.recorder.connected = true
            // The same set again: nothing changes, but what is pending goes out.
            await harness.apply(1, [processTask("t1")])
            #expect(harness.recorder.delivered.map(\.updates.count) == [1])
            #expect(harness.recorder.states("t1") == [.running])
            await harness.apply(2, [processTask("t1", state: .running)])
            #expect(harness.recorder.delivered.count == 1)
            await harness.executor.handle("t1").exit(code: 0)
            await harness.recorder.waitFor("t1", .complete)
        }
        #expect(harness.recorder.states("t1") == [.running, .complete])
        #expect(harness.executor.prepared.value == ["t1"])
    }

    @Test func theResendTickSendsWhatIsPending() async throws {
        let harness = SupervisorHarness()
        harness.recorder.connected = false
        try await harness.running {
            // A rejected task changes no more, so only the tick can send its state again.
            await harness.apply(1, [processTask("t1", runtime: nil)])
            #expect(harness.recorder.attempts.value.map(\.delivered) == [false])
            harness.recorder.connected = true
            await harness.clock.waitForSleepers(1)
            harness.clock.advance(by: SupervisorHarness.resendInterval)
            await harness.recorder.waitFor("t1", .rejected)
            #expect(harness.recorder.attempts.value.map(\.delivered) == [false, true])
        }
    }

    @Test func anOlderAssignmentSetIsIgnoredUntilANewSession() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            await harness.apply(5, [processTask("t1")])
            await harness.recorder.waitFor("t1", .running)
            await harness.apply(4, [processTask("t1", desired: .shutdown, state: .running)])
            #expect(harness.supervisor.state.withLock { $0.tasks["t1"]?.lifecycle?.stop.value } == nil)
            await harness.apply(4, [])
            #expect(harness.supervisor.state.withLock { $0.tasks["t1"]?.lifecycle?.stop.value } == nil)
            // A new session numbers its sets from the start again.
            harness.supervisor.sessionStarted()
            await harness.apply(1, [processTask("t1", desired: .shutdown, state: .running)])
            await harness.recorder.waitFor("t1", .shutdown)
        }
    }

    @Test func reapplyingTheSameSetChangesNothing() async throws {
        let harness = SupervisorHarness()
        try await harness.running {
            let set = [processTask("t1"), processTask("t2", runtime: nil), processTask("t3", desired: .shutdown)]
            await harness.apply(1, set)
            await harness.recorder.waitFor("t1", .running)
            let before = harness.recorder.attempts.value.count
            await harness.apply(1, set)
            await harness.apply(2, set)
            #expect(harness.recorder.attempts.value.count == before)
            #expect(harness.executor.prepared.value == ["t1"])
        }
    }

    @Test func cancellingRunStopsEveryTaskCleanly() async throws {
        let harness = SupervisorHarness()
        let handles = try await harness.runningUntilCancelled {
            await harness.apply(1, [processTask("t1", stopGracePeriod: .seconds(7)), processTask("t2")])
            await harness.recorder.waitFor("t1", .running)
            await harness.recorder.waitFor("t2", .running)
            return [await harness.executor.handle("t1"), await harness.executor.handle("t2")]
        }
        #expect(handles[0].calls.value.stops == [FakeHandle.Stop(signal: 15, gracePeriod: .seconds(7))])
        #expect(handles[1].calls.value.stops == [FakeHandle.Stop(signal: 15, gracePeriod: .seconds(10))])
        #expect(handles.allSatisfy { $0.calls.value.removed })
        #expect(harness.recorder.states("t1").last == .shutdown)
        // After it stopped, the supervisor takes no more work.
        await harness.apply(2, [processTask("t3")])
        #expect(harness.executor.prepared.value.sorted() == ["t1", "t2"])
    }
}

extension SupervisorHarness {
    /// Runs `body` while the supervisor runs; returns its result once `run()` has returned after cancellation.
    func runningUntilCancelled<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var result: T?
        try await running { result = try await body() }
        return result!
    }
}
