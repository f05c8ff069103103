import StarlingAPI
import StarlingControlPlane
import StarlingManager
import StarlingModel

/// Services and tasks, answered by the swarm manager.
extension DaemonBackend {
    func createService(_ spec: ServiceSpec, registryAuth: String?) async throws -> ServiceCreateResponse {
        let created = try await managerParts().manager.createService(spec)
        return ServiceCreateResponse(id: created.id)
    }

    func services(filters: Filters, status: Bool) async throws -> [SwarmService] {
        let manager = try await managerParts().manager
        let services = try await manager.services(filters: filters)
        guard status else { return services }
        let tasks = try await manager.tasks()
        let byService = Dictionary(grouping: tasks, by: \.serviceID)
        return services.map { service in
            var service = service
            service.serviceStatus = Self.status(of: service, tasks: byService[service.id] ?? [])
            return service
        }
    }

    func service(_ reference: String) async throws -> SwarmService {
        try await managerParts().manager.service(reference)
    }

    func updateService(
        _ reference: String, version: UInt64, spec: ServiceSpec, options: ServiceUpdateOptions
    ) async throws -> ServiceUpdateResponse {
        try await managerParts().manager.updateService(reference, version: version, spec: spec)
        return ServiceUpdateResponse(warnings: nil)
    }

    func removeService(_ reference: String) async throws {
        try await managerParts().manager.removeService(reference)
    }

    func tasks(filters: Filters) async throws -> [SwarmTask] {
        try await managerParts().manager.tasks(filters: filters)
    }

    func task(_ reference: String) async throws -> SwarmTask {
        try await managerParts().manager.task(reference)
    }

    /// The output of a service's tasks or of one task, from the nodes that ran them.
    func logs(
        _ selector: TaskLogSelector, options: TaskLogOptions
    ) async throws -> AsyncThrowingStream<TaskLogEntry, any Error> {
        let parts = try await managerParts()
        let source: Dispatcher.LogSource
        let serviceOf: @Sendable (String) -> String
        switch selector {
        case .service(let id):
            source = .service(id: id)
            serviceOf = { _ in id }
        case .task(let id):
            let serviceID = try await parts.manager.task(id).serviceID
            source = .task(id: id)
            serviceOf = { _ in serviceID }
        }
        let entries = try await parts.dispatcher.taskLogs(source, options: options)
        return entries.mapped { entry in
            TaskLogEntry(
                time: entry.record.time, stream: entry.record.stream == .stdout ? .stdout : .stderr,
                nodeID: entry.nodeID, serviceID: serviceOf(entry.record.taskID), taskID: entry.record.taskID,
                line: Array(entry.record.message.utf8))
        }
    }

    /// `ServiceStatus` as dockerd computes it for `?status=true`: running tasks that are meant to run (desired
    /// `running`, or `complete` for jobs' tasks), and the number of tasks the service wants (for a global job, its
    /// tasks that have not completed yet, as SwarmKit counts them).
    static func status(of service: SwarmService, tasks: [SwarmTask]) -> ServiceStatus {
        let wanted = tasks.filter { $0.desiredState <= .running || $0.desiredState == .complete }
        let running = wanted.filter { $0.status.state == .running }.count
        let completed = tasks.filter { $0.status.state == .complete }.count
        let desired: Int
        switch service.spec.mode {
        case .replicated(let replicas): desired = Int(replicas)
        case .global: desired = Set(wanted.compactMap(\.nodeID)).count
        case .replicatedJob(let maxConcurrent, let total):
            desired = min(Int(maxConcurrent == 0 ? total : maxConcurrent), max(0, Int(total) - completed))
        case .globalJob: desired = wanted.count { $0.status.state != .complete }
        }
        return ServiceStatus(
            runningTasks: UInt64(running), desiredTasks: UInt64(desired), completedTasks: UInt64(completed))
    }
}

extension AsyncThrowingStream where Failure == any Error {
    /// This stream's elements transformed by `transform`; cancelling the result cancels the reading of this one.
    func mapped<T: Sendable>(_ transform: @escaping @Sendable (Element) -> T) -> AsyncThrowingStream<T, any Error>
    where Element: Sendable {
        let (stream, continuation) = AsyncThrowingStream<T, any Error>.makeStream()
        let relay = Task {
            do {
                for try await element in self { continuation.yield(transform(element)) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in relay.cancel() }
        return stream
    }
}
