import Foundation

/// Docker's defaults for the parts of a service spec a client may leave out, as SwarmKit fills them in
/// (`api/defaults/service.go`) and dockerd reports them.
public enum ServiceDefaults {
    public static let stopGracePeriod: Int64 = 10_000_000_000
    public static let restartDelay: Int64 = 5_000_000_000
    public static let updateMonitor: Int64 = 5_000_000_000

    /// The update (and rollback) configuration of a service that names none.
    public static let updateConfig = UpdateConfig(
        parallelism: 1, failureAction: .pause, monitor: updateMonitor, maxFailureRatio: 0, order: .stopFirst)

    /// The restart policy of a service that names none: always restart, after 5 s, without limit.
    public static let restartPolicy = RestartPolicy(condition: .any, delay: restartDelay, maxAttempts: 0)
}

extension ServiceSpec {
    /// The spec with Docker's defaults filled in where the client left a field out: what `GET /services/{id}` shows
    /// with `insertDefaults=true`, and what the orchestrator acts on.
    ///
    /// An absent update or rollback configuration takes `ServiceDefaults.updateConfig`. A configuration that is
    /// present takes Go's zero values for its absent fields, as dockerd does: no `Parallelism` means all tasks at
    /// once; no `Monitor` is the default 5 s. An absent `Delay` stays absent
    /// (no delay), as dockerd leaves it out.
    public func insertingDefaults() -> ServiceSpec {
        var spec = self
        spec.taskTemplate = taskTemplate.insertingDefaults(serviceLabels: labels)
        spec.updateConfig = Self.filled(updateConfig)
        spec.rollbackConfig = Self.filled(rollbackConfig)
        var endpoint = endpointSpec ?? EndpointSpec()
        endpoint.mode = endpoint.mode ?? .vip
        spec.endpointSpec = endpoint
        return spec
    }

    private static func filled(_ config: UpdateConfig?) -> UpdateConfig {
        guard var config else { return ServiceDefaults.updateConfig }
        config.parallelism = config.parallelism ?? 0
        config.failureAction = config.failureAction ?? .pause
        config.monitor = config.monitor ?? ServiceDefaults.updateMonitor
        config.maxFailureRatio = config.maxFailureRatio ?? 0
        config.order = config.order ?? .stopFirst
        return config
    }
}

extension TaskSpec {
    /// The task template with Docker's defaults filled in (see `ServiceSpec.insertingDefaults()`); `Runtime` is the
    /// effective runtime.
    public func insertingDefaults(serviceLabels: [String: String]?) -> TaskSpec {
        var spec = self
        if var container = containerSpec {
            container.stopGracePeriod = container.stopGracePeriod ?? ServiceDefaults.stopGracePeriod
            container.dnsConfig = container.dnsConfig ?? .init()
            container.isolation = container.isolation ?? "default"
            spec.containerSpec = container
        }
        spec.resources = resources ?? .init()
        var restart = restartPolicy ?? ServiceDefaults.restartPolicy
        restart.condition = restart.condition ?? .any
        restart.delay = restart.delay ?? ServiceDefaults.restartDelay
        restart.maxAttempts = restart.maxAttempts ?? 0
        spec.restartPolicy = restart
        spec.placement = placement ?? .init()
        spec.forceUpdate = forceUpdate ?? 0
        spec.runtime = effectiveRuntime(serviceLabels: serviceLabels)
        return spec
    }
}
