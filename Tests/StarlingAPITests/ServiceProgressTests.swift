import Foundation
import StarlingClient
import StarlingModel
import Testing

/// The docker CLI's convergence display as a state machine, driven with fake time.
@Suite struct ServiceProgressTests {
    static let nodes: Set<String> = ["n1", "n2"]

    static func service(_ mode: ServiceMode = .replicated(replicas: 2), update: UpdateStatus? = nil) -> SwarmService {
        var service = SwarmService(
            id: "svc1", createdAt: FakeEngine.epoch, updatedAt: FakeEngine.epoch,
            spec: serviceSpec("web", replicas: mode.replicas ?? 1), updateStatus: update)
        service.spec.mode = mode
        if mode.isJob { service.jobStatus = JobStatus(jobIteration: ObjectVersion(index: 7)) }
        return service
    }

    static func task(
        slot: Int?, node: String = "n1", state: TaskState, desired: TaskState = .running, err: String? = nil,
        iteration: UInt64? = nil
    ) -> SwarmTask {
        SwarmTask(
            id: "t\(slot ?? 0)\(node)", createdAt: FakeEngine.epoch, updatedAt: FakeEngine.epoch,
            spec: service().spec.taskTemplate, serviceID: "svc1", slot: slot, nodeID: node,
            status: TaskStatus(timestamp: FakeEngine.epoch, state: state, err: err), desiredState: desired,
            jobIteration: iteration.map { ObjectVersion(index: $0) })
    }

    /// One poll: `inspect`, then (unless finished) `update`.
    static func poll(
        _ progress: inout ServiceProgress, _ service: SwarmService, _ tasks: [SwarmTask], at seconds: Double
    ) throws -> ([ProgressEvent], ServiceProgress.Outcome) {
        let now = Duration.milliseconds(Int64(seconds * 1000))
        let (first, outcome) = try progress.inspect(service, now: now)
        if outcome == .finished { return (first, outcome) }
        let (more, next) = progress.update(service, tasks: tasks, activeNodes: nodes, now: now)
        return (first + more, next)
    }

    @Test func replicatedConvergesThenVerifiesForTheMonitorPeriod() throws {
        var progress = ServiceProgress(serviceID: "svc1")
        let service = Self.service()
        var (events, outcome) = try Self.poll(&progress, service, [], at: 0)
        #expect(
            events == [
                .progress(id: "overall progress", action: "0 out of 2 tasks"), .progress(id: "1/2", action: " "),
                .progress(id: "2/2", action: " "), .progress(id: "overall progress", action: "0 out of 2 tasks"),
            ])
        #expect(outcome == .pending)

        (events, outcome) = try Self.poll(
            &progress, service,
            [Self.task(slot: 1, state: .running), Self.task(slot: 2, node: "n2", state: .starting)],
            at: 0.2)
        #expect(
            events == [
                .progress(id: "1/2", action: "running  ", current: 9, total: 9),
                .progress(id: "2/2", action: "starting ", current: 8, total: 9),
                .progress(id: "overall progress", action: "1 out of 2 tasks"),
            ])

        let running = [Self.task(slot: 1, state: .running), Self.task(slot: 2, node: "n2", state: .running)]
        (events, outcome) = try Self.poll(&progress, service, running, at: 1)
        #expect(events.last == .progress(id: "verify", action: "Waiting 5 seconds to verify that tasks are stable..."))
        #expect(events.contains(.progress(id: "overall progress", action: "2 out of 2 tasks")))
        #expect(outcome == .pending)

        (events, outcome) = try Self.poll(&progress, service, running, at: 5.9)
        #expect(events == [.progress(id: "verify", action: "Waiting 1 seconds to verify that tasks are stable...")])

        (events, outcome) = try Self.poll(&progress, service, running, at: 6)
        #expect(events == [.progress(id: "verify", action: "Service svc1 converged")])
        #expect(outcome == .finished)
    }

    @Test func aTaskThatFailsWhileVerifyingStartsTheWaitAgain() throws {
        var progress = ServiceProgress(serviceID: "svc1")
        let service = Self.service()
        let running = [Self.task(slot: 1, state: .running), Self.task(slot: 2, node: "n2", state: .running)]
        _ = try Self.poll(&progress, service, running, at: 0)
        let failed = [
            Self.task(slot: 1, state: .running),
            Self.task(slot: 2, node: "n2", state: .failed, err: "task: non-zero exit (1)"),
        ]
        var (events, outcome) = try Self.poll(&progress, service, failed, at: 2)
        #expect(events.contains(.progress(id: "2/2", action: "task: non-zero exit (1)")))
        #expect(events.last == .progress(id: "verify", action: "Detected task failure"))
        (events, outcome) = try Self.poll(&progress, service, running, at: 3)
        (events, outcome) = try Self.poll(&progress, service, running, at: 7.5)
        #expect(outcome == .pending, "the 5 s start again at 3 s")
        (events, outcome) = try Self.poll(&progress, service, running, at: 8)
        #expect(outcome == .finished)
    }

    @Test func tasksOnDownNodesAndInUnknownStatesAreIgnored() throws {
        var progress = ServiceProgress(serviceID: "svc1")
        let tasks = [
            Self.task(slot: 1, node: "gone", state: .running), Self.task(slot: 2, state: .running, desired: .remove),
        ]
        let (events, _) = try Self.poll(&progress, Self.service(), tasks, at: 0)
        #expect(events.last == .progress(id: "overall progress", action: "0 out of 2 tasks"))
    }

    @Test func aPausedUpdateIsAnError() throws {
        var progress = ServiceProgress(serviceID: "svc1")
        let paused = Self.service(update: UpdateStatus(state: .paused, message: "update paused due to failure"))
        #expect(throws: StarlingError.invalidState("service update paused: update paused due to failure")) {
            try Self.poll(&progress, paused, [], at: 0)
        }
        var completed = ServiceProgress(serviceID: "svc1")
        let (_, outcome) = try Self.poll(&completed, Self.service(update: UpdateStatus(state: .completed)), [], at: 0)
        #expect(outcome == .finished)
    }

    @Test func globalServicesWaitForTasksThenCountNodes() throws {
        var progress = ServiceProgress(serviceID: "svc1")
        let service = Self.service(.global)
        var (events, _) = try Self.poll(&progress, service, [], at: 0)
        #expect(events == [.progress(id: "overall progress", action: "waiting for new tasks")])
        (events, _) = try Self.poll(
            &progress, service,
            [Self.task(slot: nil, node: "n1", state: .running), Self.task(slot: nil, node: "n2", state: .running)],
            at: 0.2)
        #expect(events.first == .progress(id: "overall progress", action: "0 out of 2 tasks"))
        #expect(events.contains(.progress(id: "overall progress", action: "2 out of 2 tasks")))
    }

    @Test func jobsEndWhenComplete() throws {
        var progress = ServiceProgress(serviceID: "svc1")
        let service = Self.service(.replicatedJob(maxConcurrent: 2, totalCompletions: 2))
        let done = [
            Self.task(slot: 0, state: .complete, desired: .complete, iteration: 7),
            Self.task(slot: 1, node: "n2", state: .complete, desired: .complete, iteration: 7),
            Self.task(slot: 2, state: .running, iteration: 6),
        ]
        let (events, outcome) = try Self.poll(&progress, service, done, at: 0)
        #expect(events.contains(.progress(id: "job progress", action: "2 out of 2 complete", current: 2, total: 2)))
        #expect(events.contains(.progress(id: "active tasks", action: "0 out of 0 tasks")))
        #expect(events.last == .status(id: "", text: "job complete"))
        #expect(outcome == .finished)
    }

    @Test func interruptionSaysTheOperationContinues() {
        let progress = ServiceProgress(serviceID: "svc1")
        #expect(
            progress.interruptedMessages(command: "starling") == [
                .status(id: "", text: "Operation continuing in background."),
                .status(id: "", text: "Use `starling service ps svc1` to check progress."),
            ])
    }
}

/// How progress events are printed, on a terminal and elsewhere.
@Suite struct ProgressDisplayTests {
    @Test func aPipeGetsOneLinePerMessageWithoutBars() {
        var display = ProgressDisplay(isTerminal: false, width: 200)
        let events: [ProgressEvent] = [
            .progress(id: "overall progress", action: "0 out of 1 tasks"), .progress(id: "1/1", action: " "),
            .progress(id: "1/1", action: "running  ", current: 9, total: 9),
            .progress(id: "verify", action: "Service x converged"),
        ]
        #expect(
            events.map { display.render($0) }.joined()
                == "overall progress: 0 out of 1 tasks\n1/1:  \nverify: Service x converged\n")
    }

    @Test func aTerminalRedrawsEachIDOnItsLine() {
        var display = ProgressDisplay(isTerminal: true, width: 120)
        let first = display.render(.progress(id: "overall progress", action: "0 out of 1 tasks"))
        #expect(first == "\n\u{1B}[1A\u{1B}[2K\roverall progress: 0 out of 1 tasks \r\u{1B}[1B")
        let bar = display.render(.progress(id: "1/1", action: "running  ", current: 9, total: 9))
        #expect(
            bar == "\n\u{1B}[1A\u{1B}[2K\r1/1: running   [" + String(repeating: "=", count: 50) + ">] \r\u{1B}[1B")
        let again = display.render(.progress(id: "overall progress", action: "1 out of 1 tasks"))
        #expect(again == "\u{1B}[2A\u{1B}[2K\roverall progress: 1 out of 1 tasks \r\u{1B}[2B")
        #expect(display.render(.status(id: "", text: "job complete")) == "job complete\n")
    }

    @Test func barsNeedAWideTerminal() {
        #expect(ProgressDisplay.bar(current: 4, total: 9, width: 80) == "")
        #expect(
            ProgressDisplay.bar(current: 4, total: 9, width: 111)
                == "[" + String(repeating: "=", count: 22) + ">" + String(repeating: " ", count: 28) + "] ")
        #expect(ProgressDisplay.bar(current: 0, total: 0, width: 200) == "")
    }
}
