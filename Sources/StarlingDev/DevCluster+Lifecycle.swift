import StarlingModel

extension DevCluster {
    // MARK: Fail and restore

    /// Kills a node's daemon with SIGKILL, as a crash or a power cut would, and waits until it is gone.
    public func fail(name: String, layout: DevLayout, node reference: String) async throws -> DevClusterRecord.Node {
        var record = try loadRecord(name: name, layout: layout)
        let offset = try record.index(of: reference)
        let node = record.nodes[offset]
        guard let process = node.process, system.isRunning(process) else {
            throw StarlingError.invalidState("\(node.plan.hostname) is not running")
        }
        try system.signal(process, .kill)
        try await waitForExit([process], timeout: timeouts.stop, "\(node.plan.hostname)'s daemon to exit")
        record.nodes[offset].process = nil
        try save(record)
        return record.nodes[offset]
    }

    /// Starts a node's daemon again with the same command line and state directory, so that it comes back as the
    /// same node; waits until its API answers and, for a worker, until the manager sees it `ready` again.
    public func restore(name: String, layout: DevLayout, node reference: String) async throws -> DevClusterStatus {
        var record = try loadRecord(name: name, layout: layout)
        let offset = try record.index(of: reference)
        let plan = record.nodes[offset].plan
        if let process = record.nodes[offset].process, system.isRunning(process) {
            throw StarlingError.invalidState("\(plan.hostname) is already running (pid \(process.pid))")
        }
        if let namespace = plan.namespace, try await !system.networkNamespaces().contains(namespace) {
            throw StarlingError.invalidState(
                "the network namespace \(namespace) is gone; recreate the cluster with 'starling dev down' and 'starling dev up'"
            )
        }
        progress("Starting \(plan.hostname) at \(plan.address) (log: \(plan.logFile))")
        let process = try system.spawn(plan.arguments, logFile: plan.logFile)
        record.nodes[offset].process = process
        try save(record)
        try await waitForAPI(of: plan, process: process)
        if offset > 0, let nodeID = record.nodes[offset].nodeID,
            let manager = record.nodes[0].process, system.isRunning(manager)
        {
            let engine = engines.engine(socketPath: record.nodes[0].plan.socketPath)
            progress("Waiting for the manager to see \(plan.hostname) ready")
            try await poll(
                clock: clock, timeout: timeouts.nodesReady, interval: timeouts.pollInterval,
                "\(plan.hostname) to be ready"
            ) { () async throws -> PollResult<Void> in
                guard let node = try? await engine.node(nodeID) else { return .waiting("the manager does not answer") }
                return node.status.state == .ready ? .done(()) : .waiting("it is \(node.status.state.rawValue)")
            }
        }
        return await status(of: record)
    }

    // MARK: Down

    /// Stops every daemon of the cluster (SIGTERM, then SIGKILL after the grace period), deletes its namespaces,
    /// removes its sockets and, unless `keepState`, its directories. Works from the record when there is one and from
    /// what it finds on the machine otherwise; running it twice is harmless.
    public func down(name: String, layout: DevLayout, keepState: Bool) async throws -> DevTeardownReport {
        try DevClusterPlan.validate(name: name)
        return try await tearDown(name: name, layout: layout, keepState: keepState)
    }

    func tearDown(name: String, layout: DevLayout, keepState: Bool) async throws -> DevTeardownReport {
        let record = try? loadRecord(name: name, layout: layout)
        let clusterDirectory = layout.clusterDirectory(name)
        let teardown = DevTeardown(
            name: name, layout: layout, record: record,
            runningRecorded: (record?.nodes ?? []).compactMap(\.process).filter(system.isRunning),
            discovered: system.processes { DevTeardown.isDaemon($0, ofClusterDirectory: clusterDirectory) },
            existingNamespaces: (try? await system.networkNamespaces()) ?? [], keepState: keepState,
            existingPaths: system.fileExists)
        var report = DevTeardownReport()
        var failures: [String] = []

        if !teardown.processes.isEmpty {
            progress("Stopping \(teardown.processes.count) daemons")
            for process in teardown.processes { try? system.signal(process, .terminate) }
            let stubborn = await stillRunning(teardown.processes, after: timeouts.stop)
            for process in stubborn { try? system.signal(process, .kill) }
            let survivors = await stillRunning(stubborn, after: timeouts.stop)
            report.killed = stubborn.filter { !survivors.contains($0) }
            report.stopped = teardown.processes.filter { !survivors.contains($0) }
            failures += survivors.map { "process \($0.pid) did not exit" }
        }
        for namespace in teardown.namespaces {
            do {
                _ = try await system.run(["ip", "netns", "delete", namespace])
                report.deletedNamespaces.append(namespace)
            } catch {
                failures.append((error as? StarlingError)?.message ?? "\(error)")
            }
        }
        if !failures.isEmpty, !keepState {
            // Keep the record while something is left, so that another `down` can find it.
            throw StarlingError.internal("dev down left things behind: " + failures.joined(separator: "; "))
        }
        for path in teardown.paths {
            do {
                try system.remove(path)
                report.removedPaths.append(path)
            } catch {
                failures.append("cannot remove \(path): \(error)")
            }
        }
        if !failures.isEmpty {
            throw StarlingError.internal("dev down left things behind: " + failures.joined(separator: "; "))
        }
        return report
    }

    /// The processes of `processes` still running once they have all exited or `timeout` has passed.
    private func stillRunning(_ processes: [DevProcess], after timeout: Duration) async -> [DevProcess] {
        guard !processes.isEmpty else { return [] }
        do {
            try await waitForExit(processes, timeout: timeout, "the daemons to exit")
            return []
        } catch {
            return processes.filter(system.isRunning)
        }
    }

    func waitForExit(_ processes: [DevProcess], timeout: Duration, _ what: String) async throws {
        try await poll(clock: clock, timeout: timeout, interval: timeouts.pollInterval, what) {
            () async throws -> PollResult<Void> in
            let running = processes.filter(system.isRunning)
            return running.isEmpty
                ? .done(()) : .waiting("still running: \(running.map { String($0.pid) }.joined(separator: ", "))")
        }
    }
}
