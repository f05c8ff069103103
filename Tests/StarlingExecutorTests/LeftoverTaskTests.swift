import Foundation
import StarlingModel
import Testing

@testable import StarlingExecutor

#if canImport(Glibc)
    import Glibc
#endif

/// What a killed daemon leaves behind — running task processes, cgroups, directories — is removed when the node
/// starts again, so that no task runs twice once the managers have replaced it.
@Suite(.timeLimit(.minutes(1))) struct LeftoverTaskTests {
    @Test func aTaskLeftRunningIsKilledAndItsTracesRemoved() async throws {
        let fixture = try ProcessFixture()
        defer { fixture.cleanup() }
        let handle = try await fixture.prepare(["sh", "-c", "sleep 3600 & sleep 3600 & wait"])
        try await handle.start()
        let pid = try #require(handle.pid)
        let directory = fixture.directory.path + "/" + handle.taskID
        let record = try #require(try ProcessTaskRecord.read(directory: directory))
        #expect(record.isRunning)
        var children: [Int32] = []
        while children.count < 2 {
            try await Task.sleep(for: .milliseconds(5))
            children = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { Int32($0) }
        }

        // The daemon "dies" without stopping the task; the next run of the node reclaims it.
        let reclaimed = fixture.executor.reclaimLeftovers()
        #expect(reclaimed == [handle.taskID])
        _ = try await handle.wait()
        for child in children {
            let stat = ProcessTaskRecord.processStat(pid: child)
            #expect(stat == nil || stat?.state == "Z", "child \(child) of the task still runs")
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
        for path in record.cgroups { #expect(!FileManager.default.fileExists(atPath: path)) }
        // Nothing is left to reclaim the next time.
        #expect(fixture.executor.reclaimLeftovers().isEmpty)
    }
}
