import Foundation
import Logging
import StarlingModel
import StarlingOrchestrator
import StarlingStore

/// Services and tasks: what users ask for (`ServiceSpec`) and what the orchestrators made of it.
extension SwarmManager {
    public func services(filters: Filters = Filters()) async throws -> [SwarmService] {
        try filters.validate(allowed: ["id", "label", "mode", "name"])
        return try await currentSnapshot().all(SwarmService.self).filter { service in
            filters.matches("id") { service.id.hasPrefix($0) }
                && filters.matches("name") { service.spec.name.hasPrefix($0) }
                && filters.matches("mode") { $0 == service.spec.mode.filterName }
                && filters.matchesLabels("label", service.spec.labels ?? [:])
        }
    }

    /// An ID, an exact name, or a unique ID prefix.
    public func service(_ reference: String) async throws -> SwarmService {
        let services = try await currentSnapshot().all(SwarmService.self)
        return try Identifier.resolve(reference, in: services, kind: "service", id: \.id, names: { [$0.spec.name] })
    }

    /// `POST /services/create`: stores the service; the orchestrators create its tasks.
    public func createService(_ spec: ServiceSpec) async throws -> SwarmService {
        var spec = spec
        if spec.name.isEmpty { spec.name = Self.randomName() }
        try ServiceRules.validate(spec)
        let existing = try await currentSnapshot().objects(
            SwarmService.self, matching: ObjectIndexKey(SwarmService.Index.name, spec.name))
        guard existing.isEmpty else {
            throw StarlingError.conflict(
                "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service \(spec.name) already exists"
            )
        }
        let now = now()
        var service = SwarmService(id: Identifier.make(), createdAt: now, updatedAt: now, spec: spec)
        if case .replicatedJob = spec.mode {
            service.jobStatus = JobStatus(jobIteration: ObjectVersion(index: 0), lastExecution: now)
        }
        if case .globalJob = spec.mode {
            service.jobStatus = JobStatus(jobIteration: ObjectVersion(index: 0), lastExecution: now)
        }
        let created = try await objects.create(service)
        _ = try await view.snapshot(atLeast: Revision(created.version.index))
        logger.info("service created", metadata: ["service": "\(created.id)", "name": "\(spec.name)"])
        return created
    }

    /// `POST /services/{id}/update?version=`: replaces the spec, keeping the previous one.
    public func updateService(_ reference: String, version: UInt64, spec: ServiceSpec) async throws {
        let service = try await service(reference)
        try ServiceRules.validate(spec)
        if spec.name != service.spec.name {
            throw StarlingError.invalidArgument(
                "rpc error: code = Unimplemented desc = renaming services is not supported")
        }
        let updated = try await objects.update(
            SwarmService.self, id: service.id, expectedVersion: ObjectVersion(index: version)
        ) { stored in
            stored.previousSpec = stored.spec
            stored.spec = spec
            stored.updatedAt = now()
        }
        _ = try await view.snapshot(atLeast: Revision(updated.version.index))
    }

    /// `DELETE /services/{id}`: the service goes at once; the orchestration pass gives its tasks desired state
    /// `remove` (so their nodes stop them) and the task reaper deletes them once they have stopped, as SwarmKit does.
    public func removeService(_ reference: String) async throws {
        let service = try await service(reference)
        try await objects.delete(SwarmService.self, id: service.id)
        _ = try await view.snapshot(atLeast: try await objects.store.currentRevision)
        logger.info("service removed", metadata: ["service": "\(service.id)"])
    }

    /// `GET /tasks?filters=` (id, name, node, service, desired-state, label, `_up-to-date`).
    public func tasks(filters: Filters = Filters()) async throws -> [SwarmTask] {
        try filters.validate(allowed: ["id", "name", "node", "service", "desired-state", "label", "_up-to-date"])
        let snapshot = try await currentSnapshot()
        let services = snapshot.all(SwarmService.self)
        let byID = Dictionary(uniqueKeysWithValues: services.map { ($0.id, $0) })
        let serviceIDs: Set<String>? =
            filters.contains("service")
            ? Set(
                services.filter { service in
                    filters.values("service").contains {
                        $0 == service.id || $0 == service.spec.name || service.id.hasPrefix($0)
                    }
                }.map(\.id)) : nil
        let nodes = snapshot.all(Node.self)
        let nodeIDs: Set<String>? =
            filters.contains("node")
            ? Set(
                nodes.filter { node in
                    filters.values("node").contains {
                        $0 == node.id || $0 == node.description?.hostname || node.id.hasPrefix($0)
                    }
                }.map(\.id)) : nil
        return snapshot.all(SwarmTask.self).filter { task in
            let service = byID[task.serviceID]
            return filters.matches("id") { task.id.hasPrefix($0) }
                && (serviceIDs.map { $0.contains(task.serviceID) } ?? true)
                && (nodeIDs.map { task.nodeID.map($0.contains) ?? false } ?? true)
                && filters.matches("desired-state") { $0 == task.desiredState.rawValue }
                && filters.matches("name") { name in
                    let taskName = "\(service?.spec.name ?? "").\(task.slot ?? 0)"
                    return taskName.hasPrefix(name)
                }
                && filters.matchesLabels("label", service?.spec.labels ?? [:])
                && filters.matches("_up-to-date") { wanted in
                    let upToDate = service.map { task.spec == $0.taskSpecForNewTasks } ?? false
                    return (wanted == "true" || wanted == "1") == upToDate
                }
        }
    }

    public func task(_ reference: String) async throws -> SwarmTask {
        let tasks = try await currentSnapshot().all(SwarmTask.self)
        return try Identifier.resolve(reference, in: tasks, kind: "task", id: \.id, names: { _ in [] })
    }

    /// A name like Docker's when the user gives none.
    static func randomName() -> String {
        let adjectives = ["brave", "calm", "eager", "fond", "keen", "lucid", "quiet", "swift", "vivid", "witty"]
        let birds = ["starling", "swift", "wren", "robin", "finch", "heron", "kestrel", "lark", "martin", "swallow"]
        return "\(adjectives.randomElement() ?? "calm")_\(birds.randomElement() ?? "starling")"
    }
}

extension ServiceMode {
    /// The `mode` filter's value for this mode.
    var filterName: String {
        switch self {
        case .replicated: "replicated"
        case .global: "global"
        case .replicatedJob: "replicated-job"
        case .globalJob: "global-job"
        }
    }
}

/// What a service spec must satisfy before it is stored.
public enum ServiceRules {
    public static func validate(_ spec: ServiceSpec) throws {
        let name = spec.name
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        if name.count > 63 || name.unicodeScalars.contains(where: { !allowed.contains($0) })
            || name.hasPrefix("-") || name.hasPrefix(".")
        {
            throw StarlingError.invalidArgument(
                "rpc error: code = InvalidArgument desc = name must be valid as a DNS name component")
        }
        let runtime = spec.taskRuntime
        if runtime != .process, (spec.taskTemplate.containerSpec?.image ?? "").isEmpty {
            throw StarlingError.invalidArgument(
                "rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided")
        }
        if runtime == .process {
            let container = spec.taskTemplate.containerSpec
            if (container?.command ?? []).isEmpty && (container?.args ?? []).isEmpty {
                throw StarlingError.invalidArgument(
                    "a process service needs a command: give it after the image (use - for no image)")
            }
        }
    }
}
