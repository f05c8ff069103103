import StarlingTestSupport
import Testing

@testable import StarlingExecutor

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ExitStatusTests {
    @Test func cleanExitHasNoError() {
        let status = StarlingExecutor.ExitStatus(waitStatus: 0)
        #expect(status.termination == .exited(code: 0))
        #expect(status.exitCode == 0)
        #expect(status.errorMessage == nil)
    }

    @Test func nonZeroExitIsWordedAsSwarmKitDoes() {
        let status = StarlingExecutor.ExitStatus(waitStatus: 1 << 8)
        #expect(status.termination == .exited(code: 1))
        #expect(status.errorMessage == "task: non-zero exit (1)")
    }

    @Test func aSignalCountsAs128PlusTheSignal() {
        let killed = StarlingExecutor.ExitStatus(waitStatus: SIGKILL)
        #expect(killed.termination == .signaled(signal: SIGKILL))
        #expect(killed.exitCode == 137)
        #expect(killed.errorMessage == "task: non-zero exit (137)")
        #expect(StarlingExecutor.ExitStatus(waitStatus: SIGTERM).errorMessage == "task: non-zero exit (143)")
    }

    @Test func anOOMKillSaysSo() {
        let status = StarlingExecutor.ExitStatus(.signaled(signal: SIGKILL), oomKilled: true)
        #expect(status.errorMessage == "task: non-zero exit (137): OOM killed")
    }

    @Test func goDurationsReadAsDockerPrintsThem() {
        #expect(goDurationText(.seconds(30)) == "30s")
        #expect(goDurationText(.milliseconds(1500)) == "1.5s")
        #expect(goDurationText(.milliseconds(200)) == "200ms")
        #expect(goDurationText(.seconds(90)) == "1m30s")
        #expect(goDurationText(.seconds(3600)) == "1h0m0s")
        #expect(goDurationText(.zero) == "0s")
    }
}
