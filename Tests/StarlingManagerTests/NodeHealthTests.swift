import StarlingManager
import Testing

/// A point on a test clock, in nanoseconds.
struct TestInstant: InstantProtocol {
    var nanoseconds: Int64

    func advanced(by duration: Duration) -> TestInstant {
        let (seconds, attoseconds) = duration.components
        return TestInstant(nanoseconds: nanoseconds + seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func duration(to other: TestInstant) -> Duration { .nanoseconds(other.nanoseconds - nanoseconds) }

    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    static func ms(_ value: Int64) -> TestInstant { TestInstant(nanoseconds: value * 1_000_000) }
}

@Suite struct HeartbeatPolicyTests {
    @Test func smallClustersUseTheBasePeriod() {
        let policy = HeartbeatPolicy()
        #expect(policy.period(nodeCount: 3) == .milliseconds(500))
        #expect(policy.grace(nodeCount: 3) == .milliseconds(1500))
    }

    @Test func periodGrowsWithTheClusterSoLoadStaysBounded() {
        let policy = HeartbeatPolicy(basePeriod: .milliseconds(500), maxHeartbeatsPerSecond: 1000)
        #expect(policy.period(nodeCount: 500) == .milliseconds(500))
        #expect(policy.period(nodeCount: 1000) == .seconds(1))
        #expect(policy.period(nodeCount: 5000) == .seconds(5))
        for nodes in [1, 10, 100, 1000, 5000, 20000] {
            let period = policy.period(nodeCount: nodes)
            let perSecond =
                Double(nodes) / (Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18)
            #expect(perSecond <= 1000.0001)
        }
    }
}

@Suite struct NodeHealthTests {
    @Test func silentNodeGoesDownAfterMissedPeriods() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        let result1 = health.sessionStarted("a", session: 1, at: .ms(0))
        #expect(result1)
        health.heartbeat("a", session: 1, at: .ms(500))
        let result2 = health.expire(at: .ms(1999))
        #expect(result2.isEmpty)
        let result3 = health.expire(at: .ms(2000))
        #expect(result3 == ["a"])
        #expect(health.liveness(of: "a") == .down)
        // Reported once.
        let result4 = health.expire(at: .ms(5000))
        #expect(result4.isEmpty)
    }

    @Test func heartbeatsKeepANodeAlive() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        for t in stride(from: Int64(500), through: 10_000, by: 500) {
            health.heartbeat("a", session: 1, at: .ms(t))
            let result5 = health.expire(at: .ms(t + 100))
            #expect(result5.isEmpty)
        }
    }

    @Test func closedSessionGetsOnePeriodToReconnect() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        health.heartbeat("a", session: 1, at: .ms(100))
        health.sessionEnded("a", session: 1, at: .ms(200))
        let result6 = health.expire(at: .ms(699))
        #expect(result6.isEmpty)
        let result7 = health.expire(at: .ms(700))
        #expect(result7 == ["a"])
    }

    @Test func reconnectBeforeTheDeadlineKeepsTheNodeReady() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        health.sessionEnded("a", session: 1, at: .ms(200))
        // A new session while still alive is not a revival.
        let result8 = health.sessionStarted("a", session: 2, at: .ms(300))
        #expect(!result8)
        // The old session's late events are ignored.
        health.sessionEnded("a", session: 1, at: .ms(400))
        let result9 = health.expire(at: .ms(1000))
        #expect(result9.isEmpty)
    }

    @Test func downNodeRevivesOnHeartbeatOrNewSession() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        let result10 = health.expire(at: .ms(3000))
        #expect(result10 == ["a"])
        let result11 = health.heartbeat("a", session: 1, at: .ms(3100))
        #expect(result11)
        #expect(health.liveness(of: "a") == .alive)
        let result12 = health.expire(at: .ms(10_000))
        #expect(result12 == ["a"])
        let result13 = health.sessionStarted("a", session: 2, at: .ms(10_100))
        #expect(result13)
    }

    @Test func expectedNodesThatNeverConnectGoDown() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.expect("a", at: .ms(0))
        health.expect("b", at: .ms(0))
        health.sessionStarted("b", session: 7, at: .ms(100))
        health.heartbeat("b", session: 7, at: .ms(1400))
        let result14 = health.expire(at: .ms(2100))
        #expect(result14 == ["a"])
        #expect(health.nextDeadline == .ms(1400 + 1500))
    }

    @Test func forgottenNodesAreNotReported() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        health.forget("a")
        let result15 = health.expire(at: .ms(60_000))
        #expect(result15.isEmpty)
        #expect(health.nodeCount == 0)
    }
}
