import Foundation
import Synchronization
import Testing

/// Runs the real docker CLI, the python SDK and the `starling` binary against a test server.
enum ServiceCLIHarness {
    static let dockerPath = ["/usr/local/bin/docker", "/usr/bin/docker"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// The `starling` binary built next to the test bundle, if it is there.
    static let starlingPath: String? = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<4 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("starling").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static let hasPythonSDK: Bool =
        (try? runSync("/usr/bin/env", ["python3", "-c", "import docker"], environment: environment()).status) == 0

    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The environment without anything that points a client elsewhere.
    static func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in [
            "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_API_VERSION", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
            "STARLING_HOST",
        ] {
            environment[key] = nil
        }
        environment["DOCKER_CONFIG"] =
            FileManager.default.temporaryDirectory.appendingPathComponent("starling-docker-config").path
        return environment
    }

    static func docker(_ socket: String, _ arguments: [String]) async throws -> Output {
        try await run(try #require(dockerPath), ["-H", "unix://\(socket)"] + arguments)
    }

    static func starling(_ socket: String, _ arguments: [String]) async throws -> Output {
        try await run(try #require(starlingPath), ["-H", "unix://\(socket)"] + arguments)
    }

    static func python(_ script: String) async throws -> Output {
        try await run("/usr/bin/env", ["python3", "-c", script])
    }

    /// Runs a program to completion, off the cooperative pool's threads.
    static func run(_ program: String, _ arguments: [String]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runSync(program, arguments, environment: environment()) })
            }
        }
    }

    /// Runs `starling`, sends it SIGINT once its standard output contains `marker`, and returns what it printed.
    static func interruptStarling(
        _ socket: String, _ arguments: [String], after marker: String
    ) async throws
        -> Output
    {
        let program = try #require(starlingPath)
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: program)
                        process.arguments = ["-H", "unix://\(socket)"] + arguments
                        process.environment = environment()
                        let stdout = Pipe()
                        process.standardOutput = stdout
                        process.standardError = FileHandle.nullDevice
                        try process.run()
                        var output = Data()
                        var interrupted = false
                        while true {
                            let chunk = stdout.fileHandleForReading.availableData
                            if chunk.isEmpty { break }
                            output.append(chunk)
                            if !interrupted, String(decoding: output, as: UTF8.self).contains(marker) {
                                process.interrupt()
                                interrupted = true
                            }
                        }
                        process.waitUntilExit()
                        return Output(
                            status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                            stderr: "")
                    })
            }
        }
    }

    private static func runSync(
        _ program: String, _ arguments: [String], environment: [String: String]
    ) throws
        -> Output
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read both pipes at once, so a full stderr pipe cannot block the child while stdout is read.
        let group = DispatchGroup()
        let errorData = Mutex(Data())
        group.enter()
        DispatchQueue.global().async {
            let data = stderr.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            group.leave()
        }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: errorData.withLock { String(decoding: $0, as: UTF8.self) })
    }
}
