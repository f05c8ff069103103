import Foundation
import StarlingAPI
import StarlingModel

/// An in-memory backend with services and tasks, for the service, task and log routes. System, swarm and node calls
/// go to a `FakeEngine` (nodes `alpha` and `beta`).
///
/// Tasks converge at once: creating or updating a service makes its tasks `running` (a replicated service's slots
/// alternate between the two nodes, a global service runs on both), so the docker CLI's progress display sees a
/// converged service on its first poll. Log entries are added by tests; followers stay open until `finishLogs()`.
actor FakeServiceEngine: EngineBackend {
    let base = FakeEngine()
    private(set) var services: [SwarmService] = []
    private(set) var taskList: [SwarmTask] = []
    private(set) var createdSpecs: [ServiceSpec] = []
    private(set) var lastRegistryAuth: String?
    private(set) var lastUpdateOptions: ServiceUpdateOptions?
    private(set) var lastLogRequest: (selector: TaskLogSelector, options: TaskLogOptions)?
    private(set) var lastTaskFilters: Filters?
    /// How many log streams ended because their consumer went away.
    private(set) var cancelledFollowers = 0
    private var logEntries: [TaskLogEntry] = []
    private var followers:
        [Int: (TaskLogSelector, TaskLogOptions, AsyncThrowingStream<TaskLogEntry, any Error>.Continuation)] = [:]
    private var nextID = 1
    private var clock = 0
    /// When set, a log stream fails with it after the stored entries.
    var logFailure: StarlingError?
    /// When set, each new task writes `hello from <slot>` to its log.
    private var greetingTasks = false
    private var holdingTasks = false

    static let nodeIDs = ["m1abcdefghijklmnopqrstuvw", "w2abcdefghijklmnopqrstuvw"]

    // MARK: Delegated to FakeEngine

    func systemInfo() async throws -> SystemInfo { try await base.systemInfo() }
    func systemVersion() async -> SystemVersion { await base.systemVersion() }
    func swarmInspect() async throws -> Swarm { try await base.swarmInspect() }
    func swarmInit(_ request: SwarmInitRequest) async throws -> String { try await base.swarmInit(request) }
    func swarmJoin(_ request: SwarmJoinRequest) async throws { try await base.swarmJoin(request) }
    func swarmLeave(force: Bool) async throws { try await base.swarmLeave(force: force) }
    func swarmUpdate(spec: SwarmSpec, version: UInt64, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws {
        try await base.swarmUpdate(
            spec: spec, version: version, rotateWorkerToken: rotateWorkerToken, rotateManagerToken: rotateManagerToken)
    }
    func nodes(filters: Filters) async throws -> [Node] { try await base.nodes(filters: filters) }
    func node(_ reference: String) async throws -> Node { try await base.node(reference) }
    func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws {
        try await base.updateNode(reference, version: version, spec: spec)
    }
    func removeNode(_ reference: String, force: Bool) async throws {
        try await base.removeNode(reference, force: force)
    }

    // MARK: Services

    private func makeID(_ prefix: String) -> String {
        defer { nextID += 1 }
        let digits = String(nextID)
        return prefix + digits + String(repeating: "x", count: 25 - prefix.count - digits.count)
    }

    private func tick() -> Timestamp {
        clock += 1
        return Timestamp(seconds: FakeEngine.epoch.seconds + Int64(clock))
    }

    func createService(_ spec: ServiceSpec, registryAuth: String?) async throws -> ServiceCreateResponse {
        createdSpecs.append(spec)
        lastRegistryAuth = registryAuth
        var spec = spec
        if spec.name.isEmpty { spec.name = "service\(nextID)" }
        guard !services.contains(where: { $0.spec.name == spec.name }) else {
            throw StarlingError.conflict(
                "rpc error: code = AlreadyExists desc = name conflicts with an existing object")
        }
        let now = tick()
        var service = SwarmService(
            id: makeID("svc"), version: ObjectVersion(index: UInt64(clock)), createdAt: now, updatedAt: now,
            spec: spec, endpoint: .init(spec: spec.endpointSpec ?? .init()))
        if spec.mode.isJob { service.jobStatus = JobStatus(jobIteration: ObjectVersion(index: 1)) }
        services.append(service)
        converge(service)
        return ServiceCreateResponse(id: service.id)
    }

    /// Adds a service as stored, without tasks.
    func insert(_ service: SwarmService) { services.append(service) }

    /// Adds a task as stored.
    func insert(_ task: SwarmTask) { taskList.append(task) }

    func services(filters: Filters, status: Bool) async throws -> [SwarmService] {
        let filter = ServiceFilter(filters)
        return services.filter(filter.matches).map { service in
            var service = service
            if status { service.serviceStatus = ServiceFilter.status(of: service, tasks: taskList) }
            return service
        }
    }

    func service(_ reference: String) async throws -> SwarmService {
        try Identifier.resolve(reference, in: services, kind: "service", id: \.id, names: { [$0.spec.name] })
    }

    func updateService(
        _ reference: String, version: UInt64, spec: ServiceSpec, options: ServiceUpdateOptions
    ) async throws -> ServiceUpdateResponse {
        let found = try await service(reference)
        guard let index = services.firstIndex(where: { $0.id == found.id }) else { throw StarlingError.outOfSequence }
        guard services[index].version.index == version else { throw StarlingError.outOfSequence }
        lastUpdateOptions = options
        var service = services[index]
        let next = options.rollback == .previous ? (service.previousSpec ?? service.spec) : spec
        service.previousSpec = service.spec
        service.spec = next
        service.version.index = UInt64(clock) + 100
        service.updatedAt = tick()
        services[index] = service
        converge(service)
        return ServiceUpdateResponse()
    }

    func removeService(_ reference: String) async throws {
        let found = try await service(reference)
        services.removeAll { $0.id == found.id }
        taskList.removeAll { $0.serviceID == found.id }
    }

    /// Makes the service's tasks match its spec at once: new tasks `running`, surplus and outdated ones `shutdown`.
    private func converge(_ service: SwarmService) {
        let wanted: [(slot: Int?, node: String)]
        switch service.spec.mode {
        case .replicated(let replicas):
            wanted = (0..<Int(replicas)).map { (slot: $0 + 1, node: Self.nodeIDs[$0 % 2]) }
        case .replicatedJob(_, let total):
            wanted = (0..<Int(total)).map { (slot: $0, node: Self.nodeIDs[$0 % 2]) }
        case .global, .globalJob:
            wanted = Self.nodeIDs.map { (slot: nil, node: $0) }
        }
        for index in taskList.indices where taskList[index].serviceID == service.id {
            let task = taskList[index]
            let keep = wanted.contains { $0.slot == task.slot && $0.node == task.nodeID }
            if task.desiredState <= .running && (!keep || !TaskFilter.isUpToDate(task, service: service)) {
                taskList[index].desiredState = .shutdown
                taskList[index].status = TaskStatus(timestamp: tick(), state: .shutdown, message: "shutdown")
            }
        }
        for (slot, node) in wanted {
            let current = taskList.contains {
                $0.serviceID == service.id && $0.slot == slot && $0.nodeID == node && $0.desiredState <= .complete
            }
            guard !current else { continue }
            let now = tick()
            let done = service.spec.mode.isJob
            let state: TaskState = holdingTasks ? .pending : done ? .complete : .running
            let task = SwarmTask(
                id: makeID("task"), version: ObjectVersion(index: UInt64(clock)), createdAt: now, updatedAt: now,
                spec: service.spec.taskTemplate, serviceID: service.id, slot: slot, nodeID: node,
                status: TaskStatus(timestamp: now, state: state, message: "started"),
                desiredState: done ? .complete : .running, jobIteration: service.jobStatus?.jobIteration)
            taskList.append(task)
            if greetingTasks {
                appendLog(
                    TaskLogEntry(
                        time: now, stream: .stdout, nodeID: node, serviceID: service.id, taskID: task.id,
                        line: Array("hello from \(slot.map(String.init) ?? node)\n".utf8)))
            }
        }
    }

    // MARK: Tasks

    func tasks(filters: Filters) async throws -> [SwarmTask] {
        lastTaskFilters = filters
        let filter = try TaskFilter(filters, services: services, nodes: try await base.nodes(filters: Filters()))
        return taskList.filter(filter.matches)
    }

    func task(_ reference: String) async throws -> SwarmTask {
        let names = Dictionary(services.map { ($0.id, $0.spec.name) }, uniquingKeysWith: { a, _ in a })
        return try Identifier.resolve(
            reference, in: taskList, kind: "task", id: \.id,
            names: { [TaskFilter.name(of: $0, serviceName: names[$0.serviceID] ?? "")] })
    }

    // MARK: Logs

    /// Stores an entry and sends it to the followers it concerns.
    func appendLog(_ entry: TaskLogEntry) {
        logEntries.append(entry)
        for (selector, options, continuation) in followers.values where Self.selects(entry, selector, options) {
            continuation.yield(entry)
        }
    }

    /// Ends every follower's stream.
    func finishLogs() {
        for (_, _, continuation) in followers.values { continuation.finish() }
        followers = [:]
    }

    var followerCount: Int { followers.count }

    func greetFromNewTasks() { greetingTasks = true }

    /// New tasks stay `pending` (no node fits), so services never converge.
    func holdNewTasksPending() { holdingTasks = true }

    private static func selects(_ entry: TaskLogEntry, _ selector: TaskLogSelector, _ options: TaskLogOptions) -> Bool {
        switch selector {
        case .service(let id): guard entry.serviceID == id else { return false }
        case .task(let id): guard entry.taskID == id else { return false }
        }
        if entry.stream == .stdout && !options.stdout || entry.stream == .stderr && !options.stderr { return false }
        if let since = options.since, entry.time < since { return false }
        return true
    }

    func logs(
        _ selector: TaskLogSelector, options: TaskLogOptions
    ) async throws
        -> AsyncThrowingStream<TaskLogEntry, any Error>
    {
        lastLogRequest = (selector, options)
        var selected = logEntries.filter { Self.selects($0, selector, options) }
        if let tail = options.tail {
            var remaining: [String: Int] = [:]
            selected = selected.reversed().filter { entry in
                let left = remaining[entry.taskID, default: tail]
                remaining[entry.taskID] = left - 1
                return left > 0
            }.reversed()
        }
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: TaskLogEntry.self)
        for entry in selected { continuation.yield(entry) }
        if options.follow {
            let key = nextID
            nextID += 1
            followers[key] = (selector, options, continuation)
            continuation.onTermination = { termination in
                if case .cancelled = termination { Task { await self.followerCancelled(key) } }
            }
        } else {
            continuation.finish(throwing: logFailure)
        }
        return stream
    }

    private func followerCancelled(_ key: Int) {
        followers[key] = nil
        cancelledFollowers += 1
    }
}
