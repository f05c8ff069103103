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
            let perSecond = Double(nodes) / (Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18)
            #expect(perSecond <= 1000.0001)
        }
    }
}

@Suite struct NodeHealthTests {
    @Test func silentNodeGoesDownAfterMissedPeriods() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        #expect(health.sessionStarted("a", session: 1, at: .ms(0)))
        health.heartbeat("a", session: 1, at: .ms(500))
        #expect(health.expire(at: .ms(1999)).isEmpty)
        #expect(health.expire(at: .ms(2000)) == ["a"])
        #expect(health.liveness(of: "a") == .down)
        // Reported once.
        #expect(health.expire(at: .ms(5000)).isEmpty)
    }

    @Test func heartbeatsKeepANodeAlive() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        for t in stride(from: Int64(500), through: 10_000, by: 500) {
            health.heartbeat("a", session: 1, at: .ms(t))
            #expect(health.expire(at: .ms(t + 100)).isEmpty)
        }
    }

    @Test func closedSessionGetsOnePeriodToReconnect() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        health.heartbeat("a", session: 1, at: .ms(100))
        health.sessionEnded("a", session: 1, at: .ms(200))
        #expect(health.expire(at: .ms(699)).isEmpty)
        #expect(health.expire(at: .ms(700)) == ["a"])
    }

    @Test func reconnectBeforeTheDeadlineKeepsTheNodeReady() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        health.sessionEnded("a", session: 1, at: .ms(200))
        // A new session while still alive is not a revival.
        #expect(!health.sessionStarted("a", session: 2, at: .ms(300)))
        // The old session's late events are ignored.
        health.sessionEnded("a", session: 1, at: .ms(400))
        #expect(health.expire(at: .ms(1000)).isEmpty)
    }

    @Test func downNodeRevivesOnHeartbeatOrNewSession() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        #expect(health.expire(at: .ms(3000)) == ["a"])
        #expect(health.heartbeat("a", session: 1, at: .ms(3100)))
        #expect(health.liveness(of: "a") == .alive)
        #expect(health.expire(at: .ms(10_000)) == ["a"])
        #expect(health.sessionStarted("a", session: 2, at: .ms(10_100)))
    }

    @Test func expectedNodesThatNeverConnectGoDown() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.expect("a", at: .ms(0))
        health.expect("b", at: .ms(0))
        health.sessionStarted("b", session: 7, at: .ms(100))
        health.heartbeat("b", session: 7, at: .ms(1400))
        #expect(health.expire(at: .ms(2100)) == ["a"])
        #expect(health.nextDeadline == .ms(1400 + 1500))
    }

    @Test func forgottenNodesAreNotReported() {
        var health = NodeHealth<TestInstant>(policy: HeartbeatPolicy())
        health.sessionStarted("a", session: 1, at: .ms(0))
        health.forget("a")
        #expect(health.expire(at: .ms(60_000)).isEmpty)
        #expect(health.nodeCount == 0)
    }
}
