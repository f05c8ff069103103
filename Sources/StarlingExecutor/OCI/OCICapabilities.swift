import StarlingModel

/// A container's capabilities: Docker's defaults tweaked by the task's `CapabilityAdd` and `CapabilityDrop`, as
/// moby's `caps.TweakCapabilities` does it.
enum OCICapabilities {
    /// Every capability Linux defines (0 ... 40), in number order: what `ALL` means.
    static let all = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// The defaults minus `drops` plus `adds`; `ALL` in `adds` is every capability but the dropped ones, `ALL` in
    /// `drops` keeps only `adds`. Names may omit `CAP_` and any case is accepted.
    static func tweak(adds: [String], drops: [String]) throws(StarlingError) -> [String] {
        if adds.isEmpty && drops.isEmpty { return OCIDefaults.capabilities }
        let add = try normalize(adds)
        let drop = try normalize(drops)
        let result: [String]
        if add.contains("ALL") {
            result = all.filter { !drop.contains($0) }
        } else if drop.contains("ALL") {
            result = add
        } else {
            result = OCIDefaults.capabilities.filter { !drop.contains($0) } + add
        }
        var seen = Set<String>()
        return result.filter { seen.insert($0).inserted }
    }

    private static func normalize(_ names: [String]) throws(StarlingError) -> [String] {
        var result: [String] = []
        for name in names {
            let upper = name.uppercased()
            if upper == "ALL" {
                result.append(upper)
                continue
            }
            let capability = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
            guard all.contains(capability) else { throw .invalidArgument("unknown capability: \"\(capability)\"") }
            result.append(capability)
        }
        return result
    }
}
