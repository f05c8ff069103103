/// Where this machine's cgroup hierarchies are: v1 controllers each at its own mount, a cgroup2 ("unified") mount,
/// or both (the hybrid layout, with the controllers on v1 and an empty cgroup2 tree for process tracking).
public struct CgroupMounts: Sendable, Equatable {
    /// The controllers Starling uses.
    public static let controllers = ["memory", "cpu", "pids"]

    /// Mount point of the v1 hierarchy of each controller (`"memory": "/sys/fs/cgroup/memory"`).
    public var v1: [String: String]
    /// The cgroup2 mount point, if there is one.
    public var unified: String?
    /// The controllers the cgroup2 root offers (its `cgroup.controllers`); none in the hybrid layout.
    public var unifiedControllers: Set<String>

    public init(v1: [String: String] = [:], unified: String? = nil, unifiedControllers: Set<String> = []) {
        self.v1 = v1
        self.unified = unified
        self.unifiedControllers = unifiedControllers
    }

    /// Reads `/proc/self/mountinfo` and the cgroup2 root's `cgroup.controllers`. `nil` when no hierarchy is mounted.
    public static func detect(
        fileSystem: any CgroupFileSystem, mountinfo: String = "/proc/self/mountinfo"
    ) throws
        -> CgroupMounts?
    {
        var mounts = parse(mountinfo: try fileSystem.read(mountinfo))
        if let unified = mounts.unified {
            let text = (try? fileSystem.read(unified + "/cgroup.controllers")) ?? ""
            mounts.unifiedControllers = Set(text.split(whereSeparator: \.isWhitespace).map(String.init))
        }
        return mounts.v1.isEmpty && mounts.unified == nil ? nil : mounts
    }

    /// The cgroup mounts listed in a `mountinfo` text: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - TYPE
    /// SOURCE SUPEROPTIONS`; for a v1 hierarchy the super options name its controllers. The first mount of each
    /// wins (later ones are usually bind mounts of the same hierarchy into containers).
    public static func parse(mountinfo: String) -> CgroupMounts {
        var mounts = CgroupMounts()
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count > dash + 3 else { continue }
            let mountPoint = unescape(fields[4])
            switch fields[dash + 1] {
            case "cgroup2":
                if mounts.unified == nil { mounts.unified = mountPoint }
            case "cgroup":
                for option in fields[dash + 3].split(separator: ",").map(String.init)
                where controllers.contains(option) && mounts.v1[option] == nil {
                    mounts.v1[option] = mountPoint
                }
            default:
                continue
            }
        }
        return mounts
    }

    /// mountinfo escapes space, tab, newline and backslash as three octal digits.
    private static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.first {
            if byte == UInt8(ascii: "\\"), utf8.count >= 4,
                let value = UInt8(String(decoding: utf8.dropFirst().prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(4)
            } else {
                bytes.append(byte)
                utf8 = utf8.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
