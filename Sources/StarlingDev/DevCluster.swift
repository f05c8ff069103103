import Foundation
import StarlingModel

/// The local dev cluster: `up`, `status`, `fail`, `restore` and `down` over a `DevSystem` (processes, namespaces,
/// files) and the nodes' Engine APIs. Every command reloads the cluster's record, so each can run in a separate
/// CLI process.
public struct DevCluster: Sendable {
    public var system: any DevSystem
    public var engines: any DevEngineProvider
    public var clock: any Clock<Duration>
    public var timeouts: DevTimeouts
    /// The wall clock, for the record's creation date only.
    public var now: @Sendable () -> Date
    /// Receives one line per step, for the user to follow along.
    public var progress: @Sendable (String) -> Void

    public init(
        system: any DevSystem = LocalDevSystem(), engines: any DevEngineProvider = SocketDevEngineProvider(),
        clock: any Clock<Duration> = ContinuousClock(), timeouts: DevTimeouts = DevTimeouts(),
        now: @escaping @Sendable () -> Date = { Date() }, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.system = system
        self.engines = engines
        self.clock = clock
        self.timeouts = timeouts
        self.now = now
        self.progress = progress
    }

    // MARK: Up

    /// Starts the cluster: network (when isolated), one daemon per node, `swarm init` on node 1, `swarm join` of
    /// the others as workers, labels, and a wait until every node is `ready`. If any step fails, what was started
    /// is stopped again (state and logs are kept for reading; `down` removes them).
    public func up(_ request: DevClusterRequest, layout: DevLayout) async throws -> DevClusterStatus {
        let plan = try DevClusterPlan(request: request, layout: layout)
        try await checkNothingLeft(of: plan)
        var record = DevClusterRecord(plan: plan, createdAt: now())
        try system.createDirectory(plan.clusterDirectory)
        try system.createDirectory(plan.socketDirectory)
        for node in plan.nodes { try system.createDirectory(node.stateDirectory) }
        try save(record)
        do {
            try await start(&record, plan: plan)
            return await status(of: record)
        } catch {
            progress("dev up failed; stopping what it started")
            _ = try? await tearDown(name: plan.name, layout: layout, keepState: true)
            let reason = (error as? StarlingError)?.message ?? "\(error)"
            throw StarlingError(
                (error as? StarlingError)?.code ?? .internal,
                "\(reason)\nThe daemons' state and logs are kept in \(plan.clusterDirectory); "
                    + "'starling dev down --name \(plan.name)' removes them.")
        }
    }

    /// Refuses to start over a cluster of the same name that still has a record, daemons or namespaces.
    private func checkNothingLeft(of plan: DevClusterPlan) async throws {
        let advice = "run 'starling dev down --name \(plan.name)' first"
        if let record = try? loadRecord(name: plan.name, layout: plan.layout) {
            let running = record.nodes.compactMap(\.process).filter(system.isRunning).count
            let what = running > 0 ? "is running (\(running) of \(record.nodes.count) daemons up)" : "has state left"
            throw StarlingError.conflict("dev cluster '\(plan.name)' \(what) in \(plan.clusterDirectory); \(advice)")
        }
        if system.fileExists(plan.clusterDirectory) {
            throw StarlingError.conflict("\(plan.clusterDirectory) already exists; \(advice)")
        }
        let leftovers = try await system.networkNamespaces().filter {
            DevNetworkPlan.isNamespace($0, ofCluster: plan.name)
        }
        if !leftovers.isEmpty {
            throw StarlingError.conflict(
                "network namespaces of dev cluster '\(plan.name)' exist (\(leftovers.joined(separator: ", "))); \(advice)"
            )
        }
    }

    private func start(_ record: inout DevClusterRecord, plan: DevClusterPlan) async throws {
        if let network = plan.network {
            progress("Creating network \(network.subnet) (namespaces stl-\(plan.name)-*)")
            record.network = network
            try save(record)
            for command in network.setupCommands { _ = try await system.run(command) }
        }
        for node in plan.nodes {
            progress("Starting \(node.hostname) at \(node.address) (log: \(node.logFile))")
            record.nodes[node.index - 1].process = try system.spawn(node.arguments, logFile: node.logFile)
            try save(record)
        }
        for (offset, node) in plan.nodes.enumerated() {
            guard let process = record.nodes[offset].process else { continue }
            try await waitForAPI(of: node, process: process)
        }
        try await formSwarm(&record, plan: plan)
        try await applyLabels(record, plan: plan)
        try await waitUntilReady(record)
    }

    /// `swarm init` on node 1, then `swarm join` of every other node as a worker, through their APIs.
    private func formSwarm(_ record: inout DevClusterRecord, plan: DevClusterPlan) async throws {
        let first = plan.nodes[0]
        let manager = engines.engine(socketPath: first.socketPath)
        progress("Initializing the swarm on \(first.hostname)")
        let managerID = try await step("swarm init on \(first.hostname)") {
            try await manager.swarmInit(SwarmInitRequest(listenAddr: first.address, advertiseAddr: first.address))
        }
        record.nodes[0].nodeID = managerID
        try save(record)
        let swarm = try await step("reading the join tokens from \(first.hostname)") {
            try await manager.swarmInspect()
        }
        guard let token = swarm.joinTokens?.worker, !token.isEmpty else {
            throw StarlingError.internal("\(first.hostname) returned no worker join token")
        }
        for node in plan.nodes.dropFirst() {
            progress("Joining \(node.hostname) as a worker")
            let engine = engines.engine(socketPath: node.socketPath)
            let request = SwarmJoinRequest(
                listenAddr: node.address, advertiseAddr: node.address, remoteAddrs: [first.address], joinToken: token)
            try await step("swarm join on \(node.hostname)") { try await engine.swarmJoin(request) }
            let nodeID = try await poll(
                clock: clock, timeout: timeouts.apiReady, interval: timeouts.pollInterval, "\(node.hostname)'s node ID"
            ) { () async throws -> PollResult<String> in
                let id = try await engine.info().swarm.nodeID
                return id.isEmpty ? .waiting("not known yet") : .done(id)
            }
            record.nodes[node.index - 1].nodeID = nodeID
            try save(record)
        }
    }

    /// Adds each node's labels through the manager, re-reading the node when its version moved in between.
    private func applyLabels(_ record: DevClusterRecord, plan: DevClusterPlan) async throws {
        let manager = engines.engine(socketPath: plan.nodes[0].socketPath)
        for node in plan.nodes where !node.labels.isEmpty {
            guard let nodeID = record.nodes[node.index - 1].nodeID else { continue }
            let text = node.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            progress("Labelling \(node.hostname): \(text)")
            try await step("adding labels to \(node.hostname)") {
                for attempt in 1...5 {
                    var current = try await manager.node(nodeID)
                    current.spec.labels.merge(node.labels) { _, new in new }
                    do {
                        try await manager.updateNode(nodeID, version: current.version.index, spec: current.spec)
                        return
                    } catch let error as StarlingError where error.code == .outOfSequence && attempt < 5 {
                        continue
                    }
                }
            }
        }
    }

    /// Waits until the manager lists every recorded node as `ready`.
    private func waitUntilReady(_ record: DevClusterRecord) async throws {
        let manager = engines.engine(socketPath: record.nodes[0].plan.socketPath)
        let expected = Set(record.nodes.compactMap(\.nodeID))
        progress("Waiting for \(expected.count) nodes to be ready")
        try await poll(clock: clock, timeout: timeouts.nodesReady, interval: timeouts.pollInterval, "the nodes") {
            () async throws -> PollResult<Void> in
            let nodes: [Node]
            do { nodes = try await manager.nodes() } catch { return .waiting("\(error)") }
            let ready = Set(nodes.filter { $0.status.state == .ready }.map(\.id))
            let missing = expected.subtracting(ready)
            if missing.isEmpty { return .done(()) }
            let names = record.nodes.filter { missing.contains($0.nodeID ?? "") }.map(\.plan.hostname)
            return .waiting("not ready: \(names.joined(separator: ", "))")
        }
    }

    /// Waits until a daemon's API answers; a daemon that exits first fails at once, with the end of its log.
    func waitForAPI(of node: DevNodePlan, process: DevProcess) async throws {
        let engine = engines.engine(socketPath: node.socketPath)
        try await poll(
            clock: clock, timeout: timeouts.apiReady, interval: timeouts.pollInterval, "\(node.hostname)'s API"
        ) {
            () async throws -> PollResult<Void> in
            guard system.isRunning(process) else {
                let log = system.tail(node.logFile)
                throw StarlingError.unavailable(
                    "the daemon of \(node.hostname) (pid \(process.pid)) exited; the end of \(node.logFile):\n\(log)")
            }
            do {
                _ = try await engine.info()
                return .done(())
            } catch {
                return .waiting("\(error)")
            }
        }
    }

    /// Runs one step of a command, putting the step's name in front of its error.
    func step<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StarlingError {
            throw StarlingError(error.code, "\(name): \(error.message)")
        }
    }

    // MARK: Status

    /// The record, which daemons run, and the manager's list of nodes.
    public func status(name: String, layout: DevLayout) async throws -> DevClusterStatus {
        await status(of: try loadRecord(name: name, layout: layout))
    }

    func status(of record: DevClusterRecord) async -> DevClusterStatus {
        let running = record.nodes.map { $0.process.map(system.isRunning) ?? false }
        var status = DevClusterStatus(record: record, running: running)
        do {
            status.nodes = try await engines.engine(socketPath: record.nodes[0].plan.socketPath).nodes()
        } catch {
            status.managerError = (error as? StarlingError)?.message ?? "\(error)"
        }
        return status
    }

    // MARK: Record

    /// Reads the cluster's record; `notFound` when there is none.
    public func loadRecord(name: String, layout: DevLayout) throws -> DevClusterRecord {
        try DevClusterPlan.validate(name: name)
        let path = layout.recordPath(name)
        guard let data = try system.readFile(path) else {
            throw StarlingError.notFound("no dev cluster named '\(name)' (no \(path))")
        }
        do {
            return try StarlingJSON.decode(DevClusterRecord.self, from: data)
        } catch {
            throw StarlingError.internal("cannot read \(path): \(error)")
        }
    }

    func save(_ record: DevClusterRecord) throws {
        try system.writeFile(record.recordPath, try StarlingJSON.encoder(pretty: true).encode(record))
    }
}

/// A dev cluster as `dev status` shows it.
public struct DevClusterStatus: Sendable {
    public var record: DevClusterRecord
    /// Per node, in order: whether its daemon runs.
    public var running: [Bool]
    /// The manager's `node ls`, when it answered.
    public var nodes: [Node]?
    /// Why the manager did not answer.
    public var managerError: String?

    public init(record: DevClusterRecord, running: [Bool], nodes: [Node]? = nil, managerError: String? = nil) {
        self.record = record
        self.running = running
        self.nodes = nodes
        self.managerError = managerError
    }

    /// The `-H` value for the manager.
    public var managerHost: String { record.nodes[0].plan.host }
}
