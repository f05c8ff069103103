import StarlingModel

/// The `filters` of `GET /services`, matched as dockerd and SwarmKit match them, for backends to apply.
///
/// `id` and `name` are prefix matches (the docker CLI then picks exact matches itself), `label` takes `key` or
/// `key=value` and every one given must match, `mode` is an exact mode (`replicated`, `global`, `replicated-job`,
/// `global-job`) and `runtime` the task runtime. Values of one key are alternatives; keys must all match.
public struct ServiceFilter: Sendable {
    /// The keys `GET /services` accepts; dockerd refuses any other with "invalid filter 'key'".
    public static let keys: Set<String> = ["id", "label", "mode", "name", "runtime"]

    private let filters: Filters

    public init(_ filters: Filters) {
        self.filters = filters
    }

    public func matches(_ service: SwarmService) -> Bool {
        filters.matches("id") { service.id.hasPrefix($0) }
            && filters.matches("name") { service.spec.name.hasPrefix($0) }
            && Self.labelsMatch(filters.values("label"), service.spec.labels ?? [:])
            && filters.matches("mode") { $0 == Self.modeName(service.spec.mode) }
            && filters.matches("runtime") { $0 == service.spec.taskRuntime.rawValue }
    }

    /// The mode as the `mode` filter and `docker service ls --filter mode=` name it.
    public static func modeName(_ mode: ServiceMode) -> String {
        switch mode {
        case .replicated: "replicated"
        case .global: "global"
        case .replicatedJob: "replicated-job"
        case .globalJob: "global-job"
        }
    }

    /// SwarmKit's label match: every `key` or `key=value` wanted must be on `labels`; `key` and `key=` match any
    /// value of the key.
    static func labelsMatch(_ wanted: Set<String>, _ labels: [String: String]) -> Bool {
        wanted.allSatisfy { entry in
            let (key, value) = splitLabel(entry)
            guard let actual = labels[key] else { return false }
            return value.isEmpty || actual == value
        }
    }

    /// `key=value` split at the first `=`; `key` alone has an empty value (Docker's `ConvertKVStringsToMap`).
    static func splitLabel(_ entry: String) -> (key: String, value: String) {
        guard let equals = entry.firstIndex(of: "=") else { return (entry, "") }
        return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
    }

    /// The counts `GET /services?status=true` reports for `service`, computed from its tasks as SwarmKit's
    /// `ListServiceStatuses` does: running tasks are those observed `running`; desired tasks are the replicas, a
    /// replicated job's `MaxConcurrent`, or, for global modes, the tasks whose desired state is `running` (or
    /// `complete` and not complete yet). For jobs only tasks of the current `JobIteration` count, and completed ones
    /// are counted too.
    public static func status(of service: SwarmService, tasks: [SwarmTask]) -> ServiceStatus {
        var status = ServiceStatus(runningTasks: 0, desiredTasks: 0, completedTasks: 0)
        var global = false
        switch service.spec.mode {
        case .replicated(let replicas): status.desiredTasks = replicas
        case .replicatedJob(let maxConcurrent, _): status.desiredTasks = maxConcurrent
        case .global, .globalJob: global = true
        }
        let iteration = service.jobStatus?.jobIteration
        for task in tasks where task.serviceID == service.id {
            if let iteration {
                guard task.jobIteration == iteration else { continue }
                if task.status.state == .complete { status.completedTasks += 1 }
            }
            if task.status.state == .running { status.runningTasks += 1 }
            if global && task.desiredState == .running { status.desiredTasks += 1 }
            if global && task.desiredState == .complete && task.status.state != .complete { status.desiredTasks += 1 }
        }
        return status
    }
}
