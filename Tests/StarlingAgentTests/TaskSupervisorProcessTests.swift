import Foundation
import Logging
import StarlingControlPlane
import StarlingExecutor
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingAgent

/// The supervisor with the real process runtime.
@Suite(.timeLimit(.minutes(1))) struct TaskSupervisorProcessTests {
    struct Fixture {
        let directory: String
        let recorder = ReportRecorder()
        let supervisor: TaskSupervisor<ContinuousClock>

        init() throws {
            directory =
                FileManager.default.temporaryDirectory
                .appendingPathComponent("starling-supervisor-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var logger = Logger(label: "supervisor-process-tests")
            logger.logLevel = .error
            let executor = ProcessExecutor(
                configuration: .init(stateDirectory: directory, useCgroups: false), logger: logger)
            let recorder = recorder
            supervisor = TaskSupervisor(
                executors: [executor.runtime: executor], report: { recorder.send($0) }, clock: ContinuousClock(),
                logger: logger)
        }

        func running(_ body: () async throws -> Void) async throws {
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await supervisor.run() }
                try await body()
                group.cancelAll()
                try await group.waitForAll()
            }
        }
    }

    @Test func aCommandThatExitsWithThreeFails() async throws {
        let fixture = try Fixture()
        try await fixture.running {
            await fixture.supervisor.apply(
                Assignments(sequence: 1, tasks: [processTask("exit3", command: ["/bin/sh", "-c", "exit 3"])]))
            let failed = await fixture.recorder.waitFor("exit3", .failed)
            #expect(failed.err == "task: non-zero exit (3)")
            #expect(failed.containerStatus?.exitCode == 3)
            #expect((failed.containerStatus?.pid ?? 0) > 0)
        }
        let states = fixture.recorder.states("exit3")
        #expect(states.first == .accepted)
        #expect(states.last == .failed)
        #expect(states == states.sorted())
    }

    @Test func aSleepIsStoppedWhenItsDesiredStateIsShutdown() async throws {
        let fixture = try Fixture()
        let task = processTask("sleeper", command: ["sleep", "1000"])
        try await fixture.running {
            await fixture.supervisor.apply(Assignments(sequence: 1, tasks: [task]))
            let running = await fixture.recorder.waitFor("sleeper", .running)
            let pid = try #require(running.containerStatus?.pid)
            #expect(kill(Int32(pid), 0) == 0)
            await fixture.supervisor.apply(Assignments(sequence: 2, tasks: [task.with(desired: .shutdown)]))
            let shutdown = await fixture.recorder.waitFor("sleeper", .shutdown)
            // `sleep` ends on SIGTERM.
            #expect(shutdown.containerStatus?.exitCode == 143)
            #expect(kill(Int32(pid), 0) == -1)
        }
        #expect(fixture.recorder.states("sleeper") == [.accepted, .preparing, .ready, .starting, .running, .shutdown])
        // Its directory went with its handle.
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/sleeper"))
    }
}
