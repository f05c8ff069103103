import Foundation
import StarlingClient

#if canImport(Glibc)
    import Glibc
#endif

extension ProgressDisplay {
    /// For standard output: a terminal (and its width) or not.
    static func standardOutput() -> ProgressDisplay {
        let terminal = isatty(STDOUT_FILENO) == 1
        var size = winsize()
        let width = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 200
        return ProgressDisplay(isTerminal: terminal, width: terminal ? width : 200)
    }
}
