import Foundation
import StarlingModel

/// A set of measurements of one figure, summarized the way the report prints it: median, minimum and maximum.
struct Summary: Sendable {
    let values: [Double]

    init(_ values: [Double]) {
        precondition(!values.isEmpty, "a summary needs at least one value")
        self.values = values.sorted()
    }

    init(_ durations: [Duration]) {
        self.init(durations.map(\.seconds))
    }

    var median: Double {
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }

    var minimum: Double { values[0] }
    var maximum: Double { values[values.count - 1] }

    /// `0.352 s median (min 0.301 s, max 0.410 s, 5 runs)`, or just the value when there is one.
    func text(_ format: (Double) -> String, unit: String = "runs") -> String {
        guard values.count > 1 else { return format(median) }
        return "\(format(median)) median (min \(format(minimum)), max \(format(maximum)), \(values.count) \(unit))"
    }
}

/// How figures are written.
enum Figure {
    static func seconds(_ value: Double) -> String {
        String(format: value < 10 ? "%.3f s" : "%.1f s", value)
    }

    static func mebibytes(_ bytes: Double) -> String {
        String(format: "%.1f MiB", bytes / 1_048_576)
    }

    static func rate(_ value: Double) -> String {
        String(format: value < 100 ? "%.1f" : "%.0f", value)
    }

    static func percent(_ value: Double) -> String {
        String(format: "%.1f %%", value)
    }

    /// One report line: the label padded to a column, the figure, and the baseline to compare with.
    static func line(_ label: String, _ value: String, swarm: String? = nil) -> String {
        let padded = label.padding(toLength: max(label.count, 40), withPad: " ", startingAt: 0)
        guard let swarm else { return "\(padded) \(value)" }
        return "\(padded) \(value)   [Docker Swarm: \(swarm)]"
    }
}

/// Prints one line of the report on standard output, unbuffered, so that it interleaves properly with progress.
func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Progress goes to standard error, so that standard output holds only the figures.
func progress(_ message: String) {
    FileHandle.standardError.write(Data(("starling-bench: " + message + "\n").utf8))
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Calls `check` every `interval` until it returns a value and returns it; throws `unavailable` naming `what`
/// once `timeout` has passed. The interval is short (10 ms by default) so that the wait adds little to the
/// figure being timed.
func waitFor<T>(
    _ what: String, timeout: Duration, interval: Duration = .milliseconds(10),
    isolation: isolated (any Actor)? = #isolation,
    _ check: () async throws -> T?
) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if let value = try await check() { return value }
        guard clock.now < deadline else {
            throw StarlingError.unavailable("timed out after \(timeout) waiting for \(what)")
        }
        try await Task.sleep(for: interval)
    }
}
