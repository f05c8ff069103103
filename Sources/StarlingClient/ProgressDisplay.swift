/// Prints `ProgressEvent`s as the docker CLI's `jsonmessage.DisplayJSONMessagesStream` prints them.
///
/// On a terminal each ID keeps its line, redrawn in place with cursor movements, and bars are drawn when the
/// terminal is wider than 110 columns. Elsewhere (a pipe, a file) every message without a bar is printed on a line
/// of its own, each time it is sent (so `overall progress: 0 out of 3 tasks` repeats while waiting), and messages
/// with a bar are left out.
public struct ProgressDisplay: Sendable {
    public let isTerminal: Bool
    /// The terminal's columns (bars need more than 110).
    public let width: Int
    /// The line of each ID, counted from the first; reset by a message without an ID or bar.
    private var lines: [String: Int] = [:]

    public init(isTerminal: Bool, width: Int) {
        self.isTerminal = isTerminal
        self.width = width
    }

    /// The text that shows `event`, cursor movements included.
    public mutating func render(_ event: ProgressEvent) -> String {
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
    public static func bar(current: Int64, total: Int64, width: Int) -> String {
        guard current > 0 || total > 0, total > 0, width > 110 else { return "" }
        let percentage = min(50, Int(Double(current) / Double(total) * 100) / 2)
        return "[" + String(repeating: "=", count: percentage) + ">"
            + String(repeating: " ", count: max(0, 50 - percentage)) + "] "
    }
}
