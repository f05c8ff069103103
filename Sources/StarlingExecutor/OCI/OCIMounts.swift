import StarlingModel

/// A task's `Mounts` as OCI mounts, converted as dockerd's volume parser and `WithMounts` convert them.
enum OCIMounts {
    /// The converted mounts, parents before children, and the root propagation a bind mount's propagation needs.
    struct Converted: Equatable {
        var mounts: [OCISpec.Mount]
        var rootfsPropagation: String?
    }

    static func taskMounts(
        _ mounts: [Mount], volumePath: (Mount) throws -> String
    ) throws -> Converted {
        var result: [OCISpec.Mount] = []
        var rootfsPropagation: String?
        for mount in mounts {
            let type = mount.type ?? .volume
            let target = try destination(mount, type: type)
            switch type {
            case .bind:
                guard let source = mount.source, source.hasPrefix("/") else {
                    throw invalid(type, "invalid mount path: '\(mount.source ?? "")' mount path must be absolute")
                }
                let propagation = mount.bindOptions?.propagation ?? .rprivate
                switch propagation {
                case .shared, .rshared:
                    rootfsPropagation = "shared"
                case .slave, .rslave:
                    if rootfsPropagation != "shared" { rootfsPropagation = "rslave" }
                case .private, .rprivate:
                    break
                }
                var options = [mount.bindOptions?.nonRecursive == true ? "bind" : "rbind"]
                if mount.readOnly == true { options.append("ro") }
                options.append(propagation.rawValue)
                result.append(.init(destination: target, type: "bind", source: source, options: options))
            case .volume:
                var options = ["rbind"]
                if mount.readOnly == true { options.append("ro") }
                result.append(.init(destination: target, type: "bind", source: try volumePath(mount), options: options))
            case .tmpfs:
                var options = ["noexec", "nosuid", "nodev", "rprivate"]
                if mount.readOnly == true { options.append("ro") }
                if let mode = mount.tmpfsOptions?.mode, mode != 0 { options.append("mode=" + String(mode, radix: 8)) }
                if let size = mount.tmpfsOptions?.sizeBytes, size != 0 { options.append("size=" + tmpfsSize(size)) }
                result.append(.init(destination: target, type: "tmpfs", source: "tmpfs", options: options))
            case .npipe:
                throw invalid(type, "mount type unknown")
            }
        }
        return Converted(mounts: sortedByDepth(result), rootfsPropagation: rootfsPropagation)
    }

    /// dockerd's `NetworkMounts`: `/etc/resolv.conf`, `/etc/hostname`, `/etc/hosts`, writable unless the root is
    /// read-only, each skipped when the task mounts that path itself.
    static func networkFileMounts(
        _ files: NetworkFiles, readOnlyRoot: Bool, taskMounts: [OCISpec.Mount]
    ) -> [OCISpec.Mount] {
        let taken = Set(taskMounts.map(\.destination))
        let options = readOnlyRoot ? ["rbind", "ro", "rprivate"] : ["rbind", "rprivate"]
        let files = [
            ("/etc/resolv.conf", files.resolvConf), ("/etc/hostname", files.hostname), ("/etc/hosts", files.hosts),
        ]
        return files.compactMap { destination, source in
            guard let source, !taken.contains(destination) else { return nil }
            return OCISpec.Mount(destination: destination, type: "bind", source: source, options: options)
        }
    }

    /// The defaults a task mount does not replace (same destination; everything under `/dev/` when the task mounts
    /// `/dev`), then the task's mounts.
    static func merge(defaults: [OCISpec.Mount], task: [OCISpec.Mount]) -> [OCISpec.Mount] {
        let destinations = Set(task.map(\.destination))
        let mountsDev = destinations.contains("/dev")
        let kept = defaults.filter { mount in
            !destinations.contains(mount.destination) && !(mountsDev && mount.destination.hasPrefix("/dev/"))
        }
        return kept + task
    }

    /// dockerd's `ConvertTmpfsOptions`: the largest of g, m, k that divides the size, else bytes.
    static func tmpfsSize(_ size: Int64) -> String {
        for (suffix, divisor) in [("g", Int64(1) << 30), ("m", 1 << 20), ("k", 1 << 10)] where size % divisor == 0 {
            return "\(size / divisor)\(suffix)"
        }
        return "\(size)"
    }

    /// Parents before children (dockerd sorts by the number of path components), otherwise in the task's order.
    static func sortedByDepth(_ mounts: [OCISpec.Mount]) -> [OCISpec.Mount] {
        mounts.enumerated().sorted { left, right in
            let leftDepth = left.element.destination.split(separator: "/").count
            let rightDepth = right.element.destination.split(separator: "/").count
            return leftDepth != rightDepth ? leftDepth < rightDepth : left.offset < right.offset
        }.map(\.element)
    }

    private static func destination(_ mount: Mount, type: Mount.MountType) throws(StarlingError) -> String {
        guard let target = mount.target, !target.isEmpty else { throw invalid(type, "Target must not be empty") }
        guard target.hasPrefix("/") else {
            throw invalid(type, "invalid mount path: '\(target)' mount path must be absolute")
        }
        let cleaned = ContainerCommand.clean(target)
        guard cleaned != "/" else { throw invalid(type, "invalid specification: destination can't be '/'") }
        return cleaned
    }

    private static func invalid(_ type: Mount.MountType, _ reason: String) -> StarlingError {
        .invalidArgument("invalid mount config for type \"\(type.rawValue)\": \(reason)")
    }
}
