import Foundation
import StarlingAPI
import StarlingClient
import StarlingModel
import Testing

/// The `starling service` commands where they do more than the docker CLI: process tasks, `-H` before the
/// subcommand with a command line that has options of its own, and Ctrl-C while waiting.
@Suite(.serialized, .timeLimit(.minutes(1))) struct StarlingServiceCommandTests {
    typealias CLI = ServiceCLIHarness

    @Test(.enabled(if: CLI.starlingPath != nil, "the starling binary is not built"))
    func theCommandLineAfterTheImageIsLeftAlone() async throws {
        let backend = FakeServiceEngine()
        try await withEngineServer(backend) { socket in
            let output = try await CLI.starling(
                socket,
                ["service", "create", "-d", "--no-resolve-image", "--name", "cmd", "busybox", "sh", "-c", "echo -H x"])
            #expect(output.status == 0, "\(output.stderr)")
            let process = try await CLI.starling(
                socket, ["service", "create", "-d", "--runtime", "process", "--name", "proc", "-", "/bin/sleep", "60"])
            #expect(process.status == 0, "\(process.stderr)")
            #expect(process.stderr.isEmpty, "no registry is asked for process tasks")
            let invalid = try await CLI.starling(socket, ["service", "create", "--limit-memory", "1X", "busybox"])
            #expect(invalid.status != 0)
            #expect(invalid.stderr.contains("invalid argument \"1X\" for \"--limit-memory\" flag: invalid suffix: 'x'"))
        }
        let specs = await backend.createdSpecs
        #expect(specs.count == 2)
        #expect(specs.first?.taskTemplate.containerSpec?.args == ["sh", "-c", "echo -H x"])
        let process = try #require(specs.last)
        #expect(process.taskRuntime == .process)
        #expect(process.taskTemplate.containerSpec?.image == nil)
        #expect(process.taskTemplate.containerSpec?.args == ["/bin/sleep", "60"])
    }

    @Test(.enabled(if: CLI.starlingPath != nil, "the starling binary is not built"))
    func ctrlCStopsWaitingAndLeavesTheServiceRunning() async throws {
        let backend = FakeServiceEngine()
        await backend.holdNewTasksPending()
        try await withEngineServer(backend) { socket in
            let output = try await CLI.interruptStarling(
                socket, ["service", "create", "--no-resolve-image", "--name", "slow", "busybox"],
                after: "overall progress: 0 out of 1 tasks\n")
            #expect(output.status == 0)
            let id = String(output.stdout.prefix { $0 != "\n" })
            #expect(
                output.stdout.hasSuffix(
                    "Operation continuing in background.\nUse `starling service ps \(id)` to check progress.\n"))
        }
        #expect(try await backend.service("slow").spec.name == "slow")
    }
}
