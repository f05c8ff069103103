import Foundation
import StarlingClient

#if canImport(Glibc)
    import Glibc
#endif

/// Prints `ProgressEvent`s as the docker CLI's `jsonmessage.DisplayJSONMessagesStream` prints them.
///
/// On a terminal each ID keeps its line, redrawn in place with cursor movements, and bars are drawn when the
/// terminal is wider than 110 columns. Elsewhere (a pipe, a file) every message without a bar is printed on a line
/// of its own, each time it is sent (so `overall progress: 0 out of 3 tasks` repeats while waiting), and messages
/// with a bar are left out.
struct ProgressDisplay {
    let isTerminal: Bool
    let width: Int
    /// The line of each ID, counted from the first; reset by a message without an ID or bar.
    private var lines: [String: Int] = [:]

    init(isTerminal: Bool, width: Int) {
        self.isTerminal = isTerminal
        self.width = width
    }

    /// For standard output: a terminal (and its width) or not.
    static func standardOutput() -> ProgressDisplay {
        let terminal = isatty(STDOUT_FILENO) == 1
        var size = winsize()
        let width = ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 200
        return ProgressDisplay(isTerminal: terminal, width: terminal ? width : 200)
    }

    mutating func render(_ event: ProgressEvent) -> String {
        switch event {
        case .status(let id, let text):
            lines = [:]
            return (id.isEmpty ? "" : "\(id): ") + text + "\n"
        case .progress(let id, let action, let current, let total):
            let bar = Self.bar(current: current, total: total, width: width)
            guard isTerminal else { return bar.isEmpty ? "\(id): \(action)\n" : "" }
            var output = ""
            let line: Int
            if let known = lines[id] {
                line = known
            } else {
                line = lines.count
                lines[id] = line
                output += "\n"
            }
            let up = lines.count - line
            output += "\u{1B}[\(up)A" + "\u{1B}[2K\r" + "\(id): \(action) \(bar)\r" + "\u{1B}[\(up)B"
            return output
        }
    }

    /// `JSONProgress.String()` with hidden counts: `[=====>     ] ` on a wide terminal, else nothing.
    static func bar(current: Int64, total: Int64, width: Int) -> String {
        guard current > 0 || total > 0, total > 0, width > 110 else { return "" }
        let percentage = min(50, Int(Double(current) / Double(total) * 100) / 2)
        return "[" + String(repeating: "=", count: percentage) + ">"
            + String(repeating: " ", count: max(0, 50 - percentage)) + "] "
    }
}
