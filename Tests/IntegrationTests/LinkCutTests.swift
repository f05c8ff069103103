import Foundation
import StarlingClient
import StarlingModel
import Testing

/// A node whose network link is cut (no connection reset, just silence) is marked down by missed heartbeats and
/// is ready again when the link comes back. Needs root: the nodes are network namespaces of a dev cluster.
@Suite(.serialized) struct LinkCutTests {
    static var isRoot: Bool { geteuid() == 0 }

    @Test(.enabled(if: isRoot && which("ip") != nil), .timeLimit(.minutes(2)))
    func cutLinkMeansDownThenReady() async throws {
        let binary = DaemonHarness.binary
        let name = "lc\(getpid() % 10_000)"
        let up = try run(binary, ["dev", "up", "--nodes", "3", "--name", name])
        defer { _ = try? run(binary, ["dev", "down", "--name", name]) }
        try #require(up.status == 0, "dev up failed: \(up.output)")
        let socket = try #require(
            up.output.split(separator: "\n").first { $0.hasPrefix("export STARLING_HOST=unix://") }
                .map { String($0.dropFirst("export STARLING_HOST=unix://".count)) })

        func state(_ hostname: String) async throws -> NodeStatus.State? {
            try await EngineClient.withClient(address: .unix(path: socket)) { client in
                try await client.nodes().first { $0.description?.hostname == hostname }?.status.state
            }
        }
        #expect(try await state("node2") == .ready)

        let clock = ContinuousClock()
        let cut = clock.now
        let down = try run("/usr/sbin/ip", ["-n", "stl-\(name)-net", "link", "set", "veth2", "down"])
        try #require(down.status == 0, "\(down.output)")
        try await waitUntil("node2 is down after its link was cut", timeout: .seconds(15)) {
            try await state("node2") == .down
        }
        print("link cut → Down: \(clock.now - cut)")
        #expect(try await state("node3") == .ready)

        _ = try run("/usr/sbin/ip", ["-n", "stl-\(name)-net", "link", "set", "veth2", "up"])
        try await waitUntil("node2 is ready after its link came back", timeout: .seconds(15)) {
            try await state("node2") == .ready
        }
    }
}
