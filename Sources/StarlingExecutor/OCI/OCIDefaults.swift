import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What Docker puts in every container's spec (moby `oci.DefaultLinuxSpec`), so a Starling container looks the same
/// from inside.
public enum OCIDefaults {
    /// `oci.DefaultCapabilities()`: the 14 capabilities a container's root has.
    public static let capabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// Paths hidden from the container (an empty file or directory is mounted over them).
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ]

    /// Paths the container sees read-only.
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// Docker's `/dev/shm` size (`--shm-size` default, 64 MiB).
    public static let shmSize = "size=65536k"

    /// The file systems every container has, in Docker's order. `/dev/shm` is a 64 MiB tmpfs of the container's
    /// own (dockerd mounts one on the host and binds it; a tmpfs in the container's mount namespace is the same
    /// thing without the host-side cleanup).
    public static let mounts: [OCISpec.Mount] = [
        .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
        .init(
            destination: "/dev", type: "tmpfs", source: "tmpfs",
            options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        .init(
            destination: "/dev/pts", type: "devpts", source: "devpts",
            options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        .init(
            destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
            options: ["ro", "nosuid", "noexec", "nodev"]),
        .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        .init(
            destination: "/dev/shm", type: "tmpfs", source: "shm",
            options: ["nosuid", "noexec", "nodev", "mode=1777", shmSize]),
    ]

    /// The device cgroup rules: deny everything, then allow the basic character devices (null, zero, urandom,
    /// random, tty, console) and deny fuse. runc adds its own always-allowed devices (full, ptmx, pts) after these.
    public static let deviceRules: [OCISpec.DeviceRule] = [
        .init(allow: false, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),
        .init(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),
        .init(allow: true, type: "c", major: 5, minor: 1, access: "rwm"),
        .init(allow: false, type: "c", major: 10, minor: 229, access: "rwm"),
    ]

    /// The open-files limit of a container that sets none. Docker sets no rlimits itself: its containers inherit
    /// dockerd's and containerd's `LimitNOFILE=infinity` (1048576, the kernel's `fs.nr_open` default) from their
    /// systemd units. Starling's daemon may run with any limit, so the value is written into the spec.
    public static let openFiles = OCISpec.Rlimit(type: "RLIMIT_NOFILE", hard: 1_048_576, soft: 1_048_576)

    /// `openFiles`, lowered to what this process may grant: a runtime without `CAP_SYS_RESOURCE` (some sandboxes
    /// drop it even for root) cannot raise a hard limit above its own, and runc then fails to start the container
    /// ("error setting rlimit type 7: operation not permitted").
    public static func openFiles(grantableBy process: (soft: UInt64, hard: UInt64)?) -> OCISpec.Rlimit {
        guard let process, !canRaiseLimits() else { return openFiles }
        let limit = min(openFiles.hard, process.hard)
        return OCISpec.Rlimit(type: openFiles.type, hard: limit, soft: limit)
    }

    /// This process's `RLIMIT_NOFILE`.
    public static func currentOpenFiles() -> (soft: UInt64, hard: UInt64)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Whether this process has `CAP_SYS_RESOURCE` in its effective set (`/proc/self/status`, `CapEff`).
    static func canRaiseLimits() -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        let capSysResource: UInt64 = 24
        return mask & (1 << capSysResource) != 0
    }

    /// `ulimit` names Docker accepts (go-units), each `RLIMIT_` + its upper-case name.
    public static let ulimitNames: Set<String> = [
        "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio",
        "rttime", "sigpending", "stack",
    ]

    /// Where `--init` puts the init binary in the container (dockerd's `docker-init`).
    public static let initPath = "/sbin/docker-init"
}
