import Foundation
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingExecutor

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.timeLimit(.minutes(1))) struct ProcessExecutorTests {
    @Test func runsTheCommandAndKeepsItsOutputAndExitCode() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(handle.pid == nil)
        try await handle.start()
        let status = try await handle.wait()
        #expect(status.termination == .exited(code: 3))
        #expect(status.errorMessage == "task: non-zero exit (3)")
        #expect(!status.oomKilled)
        let entries = try await ProcessFixture.allLogs(handle)
        #expect(entries.filter { $0.stream == .stdout }.map(\.message) == ["out\n"])
        #expect(entries.filter { $0.stream == .stderr }.map(\.message) == ["err\n"])
        #expect(handle.pid != nil)
        // Waiting again gives the same answer.
        #expect(try await handle.wait() == status)
        try await handle.remove()
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.path + "/" + handle.taskID))
    }

    @Test func noOutputIsLostWhenATaskWritesALotAndExits() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sh", "-c", "seq 1 50000; seq 1 1000 >&2"])
        try await handle.start()
        _ = try await handle.wait()
        // Read right after the exit: everything is there already.
        let entries = try await ProcessFixture.allLogs(handle)
        let stdout = entries.filter { $0.stream == .stdout }.map(\.message)
        #expect(stdout.count == 50_000)
        #expect(stdout.last == "50000\n")
        #expect(entries.filter { $0.stream == .stderr }.count == 1_000)
        try await handle.remove()
    }

    @Test func followingTheLogEndsWithTheTask() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sh", "-c", "echo a; echo b; exit 0"])
        try await handle.start()
        var messages: [String] = []
        for try await entry in handle.logs(follow: true, tail: nil) { messages.append(entry.message) }
        #expect(messages == ["a\n", "b\n"])
        #expect(try await handle.wait().errorMessage == nil)
        try await handle.remove()
    }

    @Test func aProcessThatTrapsTheStopSignalEndsOnStop() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sh", "-c", "trap 'exit 0' TERM; echo ready; sleep 3600 & wait"])
        try await handle.start()
        try await ProcessFixture.waitForOutput(handle, containing: "ready")
        try await handle.stop(signal: SIGTERM, gracePeriod: .seconds(30))
        #expect(try await handle.wait().termination == .exited(code: 0))
        try await handle.remove()
    }

    @Test func aProcessThatIgnoresTheStopSignalIsKilledAfterTheGracePeriod() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"])
        try await handle.start()
        try await ProcessFixture.waitForOutput(handle, containing: "ready")
        try await handle.stop(signal: SIGTERM, gracePeriod: .milliseconds(200))
        let status = try await handle.wait()
        #expect(status.termination == .signaled(signal: SIGKILL))
        #expect(status.errorMessage == "task: non-zero exit (137)")
        // Stopping an ended task does nothing.
        try await handle.stop(signal: SIGTERM, gracePeriod: .seconds(1))
        try await handle.remove()
    }

    @Test func theEnvironmentAndWorkingDirectoryApply() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(
            ["sh", "-c", #"echo "$GREETING|$(pwd)|$HOME|$PATH""#], environment: ["GREETING=hello there"],
            workingDirectory: "/tmp")
        try await handle.start()
        _ = try await handle.wait()
        let output = try await ProcessFixture.allLogs(handle).map(\.message)
        #expect(output == ["hello there|/tmp|/|\(CommandResolution.defaultPath)\n"])
        try await handle.remove()
    }

    @Test(.enabled(if: ProcessFixture.isRoot)) func runsAsTheTasksUser() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let nobody = try #require(SystemAccountDatabase().user(named: "nobody"))
        let handle = try await fixture.prepare(["sh", "-c", "id -u; id -g; echo $HOME"], user: "nobody")
        try await handle.start()
        #expect(try await handle.wait().errorMessage == nil)
        let output = try await ProcessFixture.allLogs(handle).map(\.message)
        #expect(output == ["\(nobody.uid)\n", "\(nobody.gid)\n", "\(nobody.home)\n"])
        try await handle.remove()
    }

    @Test func leftoverProcessesOfTheGroupEndWithTheMainProcess() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sh", "-c", "sleep 3600 & echo $!; exit 0"])
        try await handle.start()
        _ = try await handle.wait()
        let pid = try #require(Int32(try await ProcessFixture.allLogs(handle).first?.message.dropLast() ?? ""))
        #expect(try await ProcessFixture.processEnds(pid))
        try await handle.remove()
    }

    @Test func theTaskInheritsNoDescriptorsButItsStandardStreams() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        // A descriptor of the test process without close-on-exec: closed in the child all the same.
        let leaky = open("/dev/null", O_RDONLY)
        defer { close(leaky) }
        let handle = try await fixture.prepare(["sh", "-c", "ls /proc/$$/fd"])
        try await handle.start()
        _ = try await handle.wait()
        let output = try await ProcessFixture.allLogs(handle).map(\.message)
        #expect(output == ["0\n", "1\n", "2\n"])
        try await handle.remove()
    }

    @Test func waitingIsCancellable() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sleep", "3600"])
        try await handle.start()
        let waiting = Task { try await handle.wait() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        try await handle.remove()
    }

    @Test func theStateFileNamesTheRunningProcess() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sh", "-c", "echo ready; exec sleep 3600"])
        try await handle.start()
        try await ProcessFixture.waitForOutput(handle, containing: "ready")
        let record = try #require(try ProcessTaskRecord.read(directory: fixture.directory.path + "/" + handle.taskID))
        #expect(record.pid == handle.pid)
        #expect(record.taskID == handle.taskID)
        #expect(record.isRunning)
        // Its own session, so its own process group.
        #expect(getpgid(record.pid) == record.pid)
        #expect(getsid(record.pid) == record.pid)
        try await handle.stop(signal: SIGTERM, gracePeriod: .seconds(10))
        #expect(!record.isRunning)
        try await handle.remove()
    }

    @Test func execRunsInTheTasksEnvironmentAndTimesOut() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(
            ["sh", "-c", "echo ready; exec sleep 3600"], environment: ["PROBE=yes"], workingDirectory: "/tmp")
        await #expect(throws: StarlingError.self) { try await handle.exec(["true"], timeout: .seconds(1)) }
        try await handle.start()
        try await ProcessFixture.waitForOutput(handle, containing: "ready")

        let result = try await handle.exec(
            ["sh", "-c", "echo $PROBE $(pwd); echo oops >&2; exit 4"], timeout: .seconds(30))
        #expect(result == ExecResult(exitCode: 4, output: "yes /tmp\noops\n"))
        let slow = try await handle.exec(["sleep", "30"], timeout: .milliseconds(200))
        #expect(slow.timedOut)
        #expect(slow.exitCode == 137)
        let long = try await handle.exec(["sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"], timeout: .seconds(30))
        #expect(long.output.utf8.count == ExecResult.maximumOutput)
        await #expect(throws: StarlingError.self) { try await handle.exec(["no-such-probe"], timeout: .seconds(1)) }

        try await handle.remove()
        await #expect(throws: StarlingError.self) { try await handle.exec(["true"], timeout: .seconds(1)) }
    }

    @Test func aHealthCheckLoopAgainstARealTask() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let marker = fixture.directory.path + "/healthy"
        let handle = try await fixture.prepare(["sh", "-c", "echo ready; exec sleep 3600"])
        try await handle.start()
        let check = HealthCheck(
            test: ["CMD-SHELL", "test -e \(marker)"], interval: .milliseconds(20), timeout: .seconds(10), retries: 2)
        let loop = HealthCheckLoop(check: check, clock: ContinuousClock())
        let (statuses, continuation) = AsyncStream.makeStream(of: HealthStatus.self)
        let probing = Task {
            try await loop.run(handle: handle, startedAt: ContinuousClock().now) { state, changed in
                if changed { continuation.yield(state.status) }
            }
        }
        var iterator = statuses.makeAsyncIterator()
        #expect(await iterator.next() == .unhealthy)
        #expect(FileManager.default.createFile(atPath: marker, contents: nil))
        #expect(await iterator.next() == .healthy)
        probing.cancel()
        _ = await probing.result
        try await handle.remove()
    }

    @Test func badTasksFailBeforeRunningAndStepsOutOfOrderAreRefused() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        await #expect(
            throws: StarlingError.invalidArgument("exec: \"no-such-command\": executable file not found in $PATH")
        ) {
            _ = try await fixture.prepare(["no-such-command"])
        }
        await #expect(throws: StarlingError.self) { _ = try await fixture.prepare(["true"], workingDirectory: "/nope") }
        await #expect(throws: StarlingError.self) { _ = try await fixture.prepare([]) }
        await #expect(throws: StarlingError.self) { _ = try await fixture.prepare(["true"], id: "../escape") }
        await #expect(throws: StarlingError.self) { _ = try await fixture.prepare(["true"], user: "no-such-user") }

        let handle = try await fixture.prepare(["true"])
        await #expect(
            throws: StarlingError.invalidState("cannot wait for task \(handle.taskID): it has not been started")
        ) {
            _ = try await handle.wait()
        }
        try await handle.start()
        await #expect(throws: StarlingError.self) { try await handle.start() }
        #expect(try await handle.wait().exitCode == 0)
        try await handle.remove()
        try await handle.remove()
    }
}
