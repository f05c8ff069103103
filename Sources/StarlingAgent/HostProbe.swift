import Foundation
import StarlingModel

/// Reads what a node reports about its machine: hostname, platform, CPUs, memory, engine labels.
public enum HostProbe {
    /// The description this node sends when its session starts.
    /// `runtimes` are the task runtimes this node can run (`process`, `container`); they are advertised as engine
    /// plugins of type `Runtime`, where the scheduler looks for them.
    public static func describe(
        hostname: String?, engineLabels: [String: String], runtimes: [String] = ["process"],
        genericResources: [GenericResource] = []
    ) -> NodeDescription {
        NodeDescription(
            hostname: hostname ?? ProcessInfo.processInfo.hostName,
            platform: Platform(architecture: architecture(), os: "linux"),
            resources: Resources(
                nanoCPUs: Int64(ProcessInfo.processInfo.activeProcessorCount) * 1_000_000_000,
                memoryBytes: Int64(ProcessInfo.processInfo.physicalMemory),
                genericResources: genericResources.isEmpty ? nil : genericResources),
            engine: EngineDescription(
                engineVersion: StarlingVersion.version,
                labels: engineLabels,
                plugins: [
                    .init(type: "Network", name: "host"),
                    .init(type: "Network", name: "overlay"),
                    .init(type: "Volume", name: "local"),
                ] + runtimes.map { .init(type: "Runtime", name: $0) })
        )
    }

    /// The machine architecture as `uname -m` prints it (`x86_64`, `aarch64`), which is what Docker reports.
    public static func architecture() -> String {
        var info = utsname()
        guard uname(&info) == 0 else { return "unknown" }
        return withUnsafeBytes(of: &info.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// The kernel release (`uname -r`).
    public static func kernelVersion() -> String {
        var info = utsname()
        guard uname(&info) == 0 else { return "" }
        return withUnsafeBytes(of: &info.release) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// `PRETTY_NAME` from /etc/os-release.
    public static func operatingSystem() -> String {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return "Linux" }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return "Linux"
    }
}
