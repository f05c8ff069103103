import ArgumentParser
import Foundation

/// The `starling` executable the benchmarks start daemons from.
enum StarlingBinary {
    /// `explicit` (`--binary`), else `starling` in this executable's directory; refused when it is not executable.
    static func resolve(_ explicit: String?) throws -> String {
        let path: String
        if let explicit {
            path = explicit
        } else {
            let executable =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            path = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("starling").path
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ValidationError(
                "no starling binary at \(path): build it (swift build -c release --product starling) or pass --binary")
        }
        return path
    }
}
