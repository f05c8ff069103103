import StarlingModel

/// `docker info`'s text: the Client section, then the Server section with the fields Starling's `GET /info` has;
/// the fields Starling does not report print as the zero values the docker CLI prints for them.
enum InfoFormatting {
    /// Without `info` (the daemon did not answer), the Server section is left empty.
    static func render(_ info: SystemInfo?, clientVersion: String, context: String = "default") -> String {
        var out = "Client:\n"
        out += " Version:    \(clientVersion)\n"
        out += " Context:    \(context)\n"
        out += " Debug Mode: false\n"
        out += "\n"
        out += "Server:\n"
        if let info { out += server(info) }
        return out
    }

    static func server(_ info: SystemInfo) -> String {
        var out = ""
        func line(_ text: String) { out += text + "\n" }
        func nonEmpty(_ label: String, _ value: String) { if !value.isEmpty { line("\(label) \(value)") } }
        line(" Containers: \(info.containers)")
        line("  Running: \(info.containersRunning)")
        line("  Paused: \(info.containersPaused)")
        line("  Stopped: \(info.containersStopped)")
        line(" Images: \(info.images)")
        nonEmpty(" Server Version:", info.serverVersion)
        nonEmpty(" Storage Driver:", info.driver)
        nonEmpty(" Cgroup Driver:", info.cgroupDriver)
        nonEmpty(" Cgroup Version:", info.cgroupVersion)
        line(" Plugins:")
        line("  Volume: ")
        line("  Network: ")
        line("  Log: ")
        line(" Swarm: \(info.swarm.localNodeState.rawValue)")
        out += swarm(info.swarm)
        if info.osType == "linux" {
            line(" Init Binary: ")
            line(" containerd version: ")
            line(" runc version: ")
            line(" init version: ")
        }
        nonEmpty(" Kernel Version:", info.kernelVersion)
        nonEmpty(" Operating System:", info.operatingSystem)
        nonEmpty(" OSType:", info.osType)
        nonEmpty(" Architecture:", info.architecture)
        line(" CPUs: \(info.ncpu)")
        line(" Total Memory: \(GoText.bytesSize(Double(info.memTotal)))")
        nonEmpty(" Name:", info.name)
        nonEmpty(" ID:", info.id)
        line(" Docker Root Dir: \(info.dockerRootDir)")
        line(" Debug Mode: false")
        if !info.labels.isEmpty {
            line(" Labels:")
            for label in info.labels { line("  \(label)") }
        }
        line(" Experimental: \(info.experimentalBuild)")
        line(" Live Restore Enabled: false")
        line("")
        return out
    }

    /// The lines under ` Swarm:`; nothing for an inactive or locked node.
    static func swarm(_ swarm: SwarmInfo) -> String {
        guard swarm.localNodeState != .inactive, swarm.localNodeState != .locked else { return "" }
        var out = ""
        func line(_ text: String) { out += text + "\n" }
        line("  NodeID: \(swarm.nodeID)")
        if !swarm.error.isEmpty { line("  Error: \(swarm.error)") }
        line("  Is Manager: \(swarm.controlAvailable)")
        if let cluster = swarm.cluster, swarm.controlAvailable, swarm.error.isEmpty, swarm.localNodeState != .error {
            let spec = cluster.spec
            line("  ClusterID: \(cluster.id)")
            line("  Managers: \(swarm.managers ?? 0)")
            line("  Nodes: \(swarm.nodes ?? 0)")
            line("  Default Address Pool: " + cluster.defaultAddrPool.map { $0 + "  " }.joined())
            line("  SubnetSize: \(cluster.subnetSize)")
            if cluster.dataPathPort > 0 { line("  Data Path Port: \(cluster.dataPathPort)") }
            line("  Orchestration:")
            line("   Task History Retention Limit: \(spec.orchestration?.taskHistoryRetentionLimit ?? 0)")
            line("  Raft:")
            line("   Snapshot Interval: \(spec.raft.snapshotInterval ?? 0)")
            if let keep = spec.raft.keepOldSnapshots { line("   Number of Old Snapshots to Retain: \(keep)") }
            line("   Heartbeat Tick: \(spec.raft.heartbeatTick ?? 0)")
            line("   Election Tick: \(spec.raft.electionTick ?? 0)")
            line("  Dispatcher:")
            line("   Heartbeat Period: \(GoText.humanDuration(nanoseconds: spec.dispatcher?.heartbeatPeriod ?? 0))")
            line("  CA Configuration:")
            line("   Expiry Duration: \(GoText.humanDuration(nanoseconds: spec.caConfig?.nodeCertExpiry ?? 0))")
            line("   Force Rotate: \(spec.caConfig?.forceRotate ?? 0)")
            line("  Autolock Managers: \(spec.encryptionConfig.autoLockManagers)")
            line("  Root Rotation In Progress: \(cluster.rootRotationInProgress)")
        }
        line("  Node Address: \(swarm.nodeAddr)")
        let managers = (swarm.remoteManagers ?? []).map(\.addr).sorted {
            Array($0.utf8).lexicographicallyPrecedes($1.utf8)
        }
        if !managers.isEmpty {
            line("  Manager Addresses:")
            for address in managers { line("   \(address)") }
        }
        return out
    }
}
