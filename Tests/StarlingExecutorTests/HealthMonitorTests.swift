import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingExecutor

@Suite struct HealthMonitorTests {
    typealias Instant = ManualClock.Instant
    typealias Monitor = HealthMonitor<Instant>

    static let start = Instant(offset: .seconds(100))

    static func at(_ seconds: Int) -> Instant { start.advanced(by: .seconds(seconds)) }

    static func result(_ exitCode: Int32, output: String = "") -> HealthProbeResult {
        HealthProbeResult(
            start: Timestamp(seconds: 0), end: Timestamp(seconds: 0), exitCode: exitCode, output: output)
    }

    /// Runs one probe at `second` (which must be due) that ends at once with `exitCode`.
    static func probe(_ monitor: inout Monitor, at second: Int, exitCode: Int32) -> HealthStatus? {
        guard case .probe = monitor.next(now: at(second)) else {
            Issue.record("no probe due at \(second) s")
            return nil
        }
        return monitor.probeFinished(result(exitCode), began: at(second), now: at(second))
    }

    @Test func testTypes() {
        #expect(HealthCheck(test: ["CMD", "curl", "-f", "x"]).probeCommand() == ["curl", "-f", "x"])
        #expect(HealthCheck(test: ["CMD-SHELL", "exit 1"]).probeCommand() == ["/bin/sh", "-c", "exit 1"])
        #expect(HealthCheck(test: ["NONE"]).probeCommand() == nil)
        #expect(HealthCheck(test: []).probeCommand() == nil)
        #expect(HealthCheck(test: ["CMD"]).probeCommand() == nil)
        #expect(HealthCheck(test: ["WHAT", "x"]).probeCommand() == nil)
    }

    @Test func aDisabledCheckDoesNothing() {
        var monitor = Monitor(check: HealthCheck(test: ["NONE"]), startedAt: Self.start)
        #expect(!monitor.isEnabled)
        #expect(monitor.next(now: Self.at(1000)) == .none)
    }

    @Test func defaultsAreDockers() {
        var monitor = Monitor(check: HealthCheck(test: ["CMD", "true"], interval: .zero), startedAt: Self.start)
        #expect(monitor.next(now: Self.start) == .sleep(until: Self.at(30)))
        #expect(monitor.next(now: Self.at(30)) == .probe(command: ["true"], timeout: .seconds(30)))
        for second in [60, 90] {
            _ = monitor.probeFinished(Self.result(1), began: Self.at(second - 30), now: Self.at(second - 30))
            _ = monitor.next(now: Self.at(second))
        }
        // The third failure in a row (the default retries) makes it unhealthy.
        #expect(monitor.probeFinished(Self.result(1), began: Self.at(90), now: Self.at(90)) == .unhealthy)
    }

    @Test func theFirstProbeWaitsAnIntervalAndTheNextOneAnIntervalAfterTheLastEnded() {
        var monitor = Monitor(
            check: HealthCheck(test: ["CMD", "check"], interval: .seconds(5), timeout: .seconds(2)),
            startedAt: Self.start)
        #expect(monitor.state.status == .starting)
        #expect(monitor.next(now: Self.start) == .sleep(until: Self.at(5)))
        #expect(monitor.next(now: Self.at(5)) == .probe(command: ["check"], timeout: .seconds(2)))
        // The probe takes 2 s.
        #expect(monitor.probeFinished(Self.result(0), began: Self.at(5), now: Self.at(7)) == .healthy)
        #expect(monitor.next(now: Self.at(7)) == .sleep(until: Self.at(12)))
    }

    @Test func retriesConsecutiveFailuresMakeItUnhealthyAndASuccessHealsIt() {
        var monitor = Monitor(
            check: HealthCheck(test: ["CMD", "check"], interval: .seconds(1), retries: 2), startedAt: Self.start)
        #expect(Self.probe(&monitor, at: 1, exitCode: 0) == .healthy)
        #expect(Self.probe(&monitor, at: 2, exitCode: 1) == nil)
        #expect(monitor.state.status == .healthy)
        #expect(monitor.state.failingStreak == 1)
        #expect(Self.probe(&monitor, at: 3, exitCode: 2) == .unhealthy)
        #expect(monitor.state.failingStreak == 2)
        #expect(Self.probe(&monitor, at: 4, exitCode: 1) == nil)
        #expect(monitor.state.failingStreak == 3)
        #expect(Self.probe(&monitor, at: 5, exitCode: 0) == .healthy)
        #expect(monitor.state.failingStreak == 0)
    }

    @Test func failuresDuringTheStartPeriodDoNotCount() {
        var monitor = Monitor(
            check: HealthCheck(test: ["CMD", "check"], interval: .seconds(1), retries: 1, startPeriod: .seconds(3)),
            startedAt: Self.start)
        #expect(Self.probe(&monitor, at: 1, exitCode: 1) == nil)
        #expect(Self.probe(&monitor, at: 2, exitCode: 1) == nil)
        #expect(monitor.state.status == .starting)
        #expect(monitor.state.failingStreak == 0)
        // Began at the end of the start period: counts.
        #expect(Self.probe(&monitor, at: 3, exitCode: 1) == .unhealthy)
    }

    @Test func aSuccessDuringTheStartPeriodMakesItHealthyAndLaterFailuresCount() {
        var monitor = Monitor(
            check: HealthCheck(test: ["CMD", "check"], interval: .seconds(1), retries: 1, startPeriod: .seconds(60)),
            startedAt: Self.start)
        #expect(Self.probe(&monitor, at: 1, exitCode: 0) == .healthy)
        // Still within the start period, but no longer starting: the failure counts.
        #expect(Self.probe(&monitor, at: 2, exitCode: 1) == .unhealthy)
    }

    @Test func theLogKeepsTheLastFiveProbesWithTruncatedOutput() {
        var monitor = Monitor(
            check: HealthCheck(test: ["CMD", "check"], interval: .seconds(1)), startedAt: Self.start)
        for second in 1...7 {
            _ = monitor.next(now: Self.at(second))
            let output = second == 7 ? String(repeating: "é", count: 3000) : "probe \(second)"
            monitor.probeFinished(Self.result(0, output: output), began: Self.at(second), now: Self.at(second))
        }
        #expect(monitor.state.log.count == 5)
        #expect(monitor.state.log.first?.output == "probe 3")
        let last = monitor.state.log.last?.output ?? ""
        #expect(last.utf8.count == 4096)
        #expect(last.allSatisfy { $0 == "é" })
    }

    @Test func askingAgainWhileAProbeRunsRepeatsTheProbe() {
        var monitor = Monitor(
            check: HealthCheck(test: ["CMD", "check"], interval: .seconds(1)), startedAt: Self.start)
        #expect(monitor.next(now: Self.at(1)) == .probe(command: ["check"], timeout: .seconds(30)))
        #expect(monitor.next(now: Self.at(1)) == .probe(command: ["check"], timeout: .seconds(30)))
    }
}
