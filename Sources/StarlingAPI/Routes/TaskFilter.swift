import StarlingModel

/// The `filters` of `GET /tasks`, matched as dockerd and SwarmKit match them, for backends to apply.
///
/// - `id`, `name`: prefixes of the task's ID and of its name (`name(of:serviceName:)`).
/// - `service`, `node`: services and nodes by ID, name or unique ID prefix (resolved here; an unknown one is
///   dockerd's 404 "service X not found" / "node X not found").
/// - `desired-state`: exact states (`running`, `shutdown`, `accepted`...); an unknown state is a 400.
/// - `label`: `key` or `key=value`, matched against the labels of the task's *service* (stack ps relies on it).
/// - `runtime`: the task's runtime (`container`, `process`...).
/// - `_up-to-date`: only tasks made from the service's current task template (`isUpToDate`); the docker CLI's
///   progress display sends it, and dockerd accepts it although it is not documented.
public struct TaskFilter: Sendable {
    /// The keys `GET /tasks` accepts; dockerd refuses any other with "invalid filter 'key'".
    public static let keys: Set<String> = [
        "_up-to-date", "desired-state", "id", "label", "name", "node", "runtime", "service",
    ]

    private let filters: Filters
    private let servicesByID: [String: SwarmService]
    private let serviceIDs: Set<String>?
    private let nodeIDs: Set<String>?
    private let desiredStates: Set<TaskState>?

    /// - Parameters:
    ///   - services: every service of the swarm (their labels, names and current specs are matched against).
    ///   - nodes: every node, to resolve the `node` filter's names.
    public init(_ filters: Filters, services: [SwarmService], nodes: [Node]) throws {
        self.filters = filters
        servicesByID = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        serviceIDs =
            filters.contains("service")
            ? Set(
                try filters.values("service").map { reference in
                    try Identifier.resolve(
                        reference, in: services, kind: "service", id: \.id, names: { [$0.spec.name] }
                    ).id
                }) : nil
        nodeIDs =
            filters.contains("node")
            ? Set(
                try filters.values("node").map { reference in
                    try Identifier.resolve(
                        reference, in: nodes, kind: "node", id: \.id,
                        names: { [$0.spec.name, $0.description?.hostname].compactMap { $0 } }
                    ).id
                }) : nil
        desiredStates = try Self.states(filters.values("desired-state"), given: filters.contains("desired-state"))
    }

    private static func states(_ values: Set<String>, given: Bool) throws -> Set<TaskState>? {
        guard given else { return nil }
        var states: Set<TaskState> = []
        for value in values where !value.isEmpty {
            guard let state = TaskState.allCases.first(where: { $0.rawValue == value.lowercased() }) else {
                throw StarlingError.invalidArgument("Invalid desired-state filter: '\(value)'")
            }
            states.insert(state)
        }
        return states.isEmpty ? nil : states
    }

    public func matches(_ task: SwarmTask) -> Bool {
        let service = servicesByID[task.serviceID]
        if let serviceIDs, !serviceIDs.contains(task.serviceID) { return false }
        if let nodeIDs, !nodeIDs.contains(task.nodeID ?? "") { return false }
        if let desiredStates, !desiredStates.contains(task.desiredState) { return false }
        if filters.contains("_up-to-date") {
            guard let service, Self.isUpToDate(task, service: service) else { return false }
        }
        return filters.matches("id") { task.id.hasPrefix($0) }
            && filters.matches("name") { Self.name(of: task, serviceName: service?.spec.name ?? "").hasPrefix($0) }
            && ServiceFilter.labelsMatch(filters.values("label"), service?.spec.labels ?? [:])
            && filters.matches("runtime") {
                $0 == task.spec.effectiveRuntime(serviceLabels: service?.spec.labels).rawValue
            }
    }

    /// SwarmKit's name of a task: its own `Name` if set, else `<service>.<slot>.<task ID>`, or
    /// `<service>.<node ID>.<task ID>` for a task without a slot (global services).
    public static func name(of task: SwarmTask, serviceName: String) -> String {
        if let name = task.name, !name.isEmpty { return name }
        let slot = task.slot.flatMap { $0 == 0 ? nil : String($0) } ?? task.nodeID ?? ""
        return "\(serviceName).\(slot).\(task.id)"
    }

    /// Whether `task` was made from `service`'s current task template (SwarmKit's `!IsTaskDirty`): the two specs
    /// are equal once Docker's defaults are filled in and the runtime resolved, so a task whose spec the
    /// orchestrator completed still counts as up to date. Scaling does not change the template, so it leaves tasks
    /// up to date.
    public static func isUpToDate(_ task: SwarmTask, service: SwarmService) -> Bool {
        guard task.serviceID == service.id else { return false }
        let labels = service.spec.labels
        return task.spec.insertingDefaults(serviceLabels: labels)
            == service.spec.taskTemplate.insertingDefaults(serviceLabels: labels)
    }
}
