import StarlingExecutor
import StarlingModel

/// How the supervisor runs one task: the runtime, what its executor gets, its health check and how it is stopped.
/// Made once from the assigned task; a task whose spec cannot be run here is rejected with the error `make` throws
/// (SwarmKit's "resolving controller failed").
struct TaskRunPlan: Sendable, Equatable {
    /// Docker's default: a container's stop timeout is 10 s unless its spec says otherwise.
    static let defaultStopGracePeriod = Duration.seconds(10)

    /// The `TaskSpec.Runtime` the task needs, which names its executor.
    var runtime: String
    var executable: ExecutableTask
    /// `nil` when the task has no health check: it is `running` as soon as it started.
    var healthCheck: HealthCheck?
    /// `ContainerSpec.StopSignal`, SIGTERM by default.
    var stopSignal: Int32
    /// `ContainerSpec.StopGracePeriod`: how long the task may take to exit before it is killed.
    var stopGracePeriod: Duration

    /// Docker's variables for the generic resources assigned to a task (`genericresource.EnvFormat`):
    /// `DOCKER_RESOURCE_<KIND>=<unit>,<unit>` for named units, `DOCKER_RESOURCE_<KIND>=<count>` for counts.
    static func resourceEnvironment(_ resources: [GenericResource]) -> [String] {
        var values: [String: [String]] = [:]
        for resource in resources {
            switch resource {
            case .named(let kind, let value): values[kind.uppercased(), default: []].append(value)
            case .discrete(let kind, let value): values[kind.uppercased(), default: []].append(String(value))
            }
        }
        return values.sorted { $0.key < $1.key }.map { "DOCKER_RESOURCE_\($0.key)=\($0.value.joined(separator: ","))" }
    }

    /// The plan for `task`, or the error that rejects it.
    ///
    /// The runtime is decided from the task alone: the `io.starling.runtime` label on its container spec, then its
    /// `Spec.Runtime`, then the kind of spec (`container` by default). A service label selects the runtime only once
    /// the orchestrator has copied the resolved runtime into the task's `Spec.Runtime`.
    static func make(for task: SwarmTask) throws(StarlingError) -> TaskRunPlan {
        let runtime = task.spec.effectiveRuntime(serviceLabels: nil).rawValue
        let container = task.spec.containerSpec ?? ContainerSpec()
        let command = container.command ?? []
        let args = container.args ?? []
        // A process has no image to supply an entrypoint; an image-based runtime may.
        if runtime == TaskRuntime.process.rawValue && command.isEmpty && args.isEmpty {
            throw StarlingError.invalidArgument(
                "no command specified: a process task runs ContainerSpec.Command followed by ContainerSpec.Args")
        }
        let executable = ExecutableTask(
            id: task.id, command: command, args: args,
            environment: (container.env ?? []) + resourceEnvironment(task.genericResources ?? []),
            workingDirectory: nonEmpty(container.dir), user: nonEmpty(container.user),
            image: nonEmpty(container.image), resources: resources(task.spec.resources))
        let stopSignal = try container.stopSignal.map { (name) throws(StarlingError) in try parseSignal(name) }
        return TaskRunPlan(
            runtime: runtime, executable: executable, healthCheck: healthCheck(container.healthcheck),
            stopSignal: stopSignal ?? StopSignal.terminate,
            stopGracePeriod: container.stopGracePeriod.map { .nanoseconds(max(0, $0)) } ?? defaultStopGracePeriod)
    }

    /// Limits as Docker applies them (`Limits.NanoCPUs`, `MemoryBytes`, `Pids`), plus what the process runtime makes
    /// of reservations: `Reservations.MemoryBytes` as the soft memory limit and `Reservations.NanoCPUs` as a CPU
    /// weight in proportion (one reserved CPU weighs 1024, the kernel's default), so a task gets at least its
    /// reserved share when the CPUs are contended.
    static func resources(_ requirements: ResourceRequirements?) -> TaskResources {
        let limits = requirements?.limits
        let reservations = requirements?.reservations
        return TaskResources(
            memoryBytes: positive(limits?.memoryBytes),
            memoryReservationBytes: positive(reservations?.memoryBytes),
            nanoCPUs: positive(limits?.nanoCPUs),
            cpuShares: positive(reservations?.nanoCPUs).map { min(max($0 * 1024 / 1_000_000_000, 2), 262_144) },
            pidsLimit: positive(limits?.pids))
    }

    /// The executor's health check, or `nil` when there is none to run: no test (a process task has no image to
    /// inherit one from), `NONE`, or a test type Docker does not know.
    static func healthCheck(_ config: HealthConfig?) -> HealthCheck? {
        guard let config, let test = config.test, !test.isEmpty else { return nil }
        let check = HealthCheck(
            test: test, interval: duration(config.interval), timeout: duration(config.timeout),
            retries: config.retries, startPeriod: duration(config.startPeriod))
        return check.probeCommand() == nil ? nil : check
    }

    private static func duration(_ nanoseconds: Int64?) -> Duration? {
        positive(nanoseconds).map { .nanoseconds($0) }
    }

    private static func positive(_ value: Int64?) -> Int64? {
        guard let value, value > 0 else { return nil }
        return value
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
