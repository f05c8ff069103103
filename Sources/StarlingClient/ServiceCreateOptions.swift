import Foundation
import StarlingModel

/// The flags of `service create` as typed, and the `ServiceSpec` the docker CLI builds from them
/// (`serviceOptions.ToService` in docker/cli): the same JSON reaches the daemon from `starling service create` and
/// from `docker service create`.
///
/// Values are kept as text (nil when the flag was not given, which often matters: a restart policy is only sent
/// when a restart flag was given) and parsed by `spec()`, with the docker CLI's messages.
public struct ServiceCreateOptions: Hashable, Sendable {
    public var name = ""
    /// `IMAGE`, sent with `:latest` added to a bare name as the docker client does; `-` (no image) is allowed with
    /// `runtime == "process"`.
    public var image: String
    /// `[COMMAND [ARG...]]`: sent as `ContainerSpec.Args`, as the docker CLI does.
    public var args: [String] = []
    /// `replicated`, `global`, `replicated-job` or `global-job`.
    public var mode = "replicated"
    public var replicas: String?
    public var maxConcurrent: String?
    public var constraints: [String] = []
    /// `spread=<descriptor>` each.
    public var placementPreferences: [String] = []
    public var maxReplicasPerNode: String?
    public var reserveCPU: String?
    public var reserveMemory: String?
    public var limitCPU: String?
    public var limitMemory: String?
    public var limitPids: String?
    /// `kind=count` each (`gpu=1`).
    public var genericResources: [String] = []
    public var restartCondition: String?
    public var restartDelay: String?
    public var restartMaxAttempts: String?
    public var restartWindow: String?
    public var healthCmd: String?
    public var healthInterval: String?
    public var healthTimeout: String?
    public var healthRetries: String?
    public var healthStartPeriod: String?
    public var noHealthcheck = false
    /// `NAME=value`, or `NAME` to copy the variable from `environment`.
    public var env: [String] = []
    public var workdir: String?
    public var user: String?
    public var stopSignal: String?
    public var stopGracePeriod: String?
    /// Service labels, `key=value` or `key`.
    public var labels: [String] = []
    public var containerLabels: [String] = []
    /// `process` for process tasks (Starling's extension); nil or `container` for containers.
    public var runtime: String?
    /// The client's environment, for `--env NAME` without a value.
    public var environment: [String: String] = [:]

    public init(image: String, args: [String] = []) {
        self.image = image
        self.args = args
    }

    /// The spec the docker CLI would send for these flags.
    public func spec() throws -> ServiceSpec {
        let isProcess = try processRuntime()
        var container = ContainerSpec(
            image: image == "-" && isProcess ? nil : ImageReference.withDefaultTag(image) ?? image,
            labels: try Self.labelMap(containerLabels, flag: "container-label"),
            args: args.isEmpty ? nil : args, env: try environmentList())
        if container.labels?.isEmpty == true { container.labels = nil }
        container.dir = workdir.flatMap { $0.isEmpty ? nil : $0 }
        container.user = user.flatMap { $0.isEmpty ? nil : $0 }
        container.stopSignal = stopSignal.flatMap { $0.isEmpty ? nil : $0 }
        container.stopGracePeriod = try stopGracePeriod.map {
            try Self.flag("stop-grace-period", $0, GoValueParsing.duration)
        }
        container.healthcheck = try healthConfig()
        container.useInit = false
        container.dnsConfig = ContainerSpec.DNSConfig()
        var template = TaskSpec(
            containerSpec: container, resources: try resources(), restartPolicy: try restartPolicy(),
            placement: try placement(), forceUpdate: 0)
        if isProcess { template.runtime = .process }
        return ServiceSpec(
            name: name, labels: try Self.labelMap(labels, flag: "label"), taskTemplate: template,
            mode: try serviceMode(),
            endpointSpec: EndpointSpec(mode: .vip))
    }

    private func processRuntime() throws -> Bool {
        switch runtime {
        case nil, "container": break
        case "process": return true
        case let other?:
            throw StarlingError.invalidArgument(
                "invalid argument \"\(other)\" for \"--runtime\" flag: expected \"container\" or \"process\"")
        }
        if image == "-" {
            throw StarlingError.invalidArgument(
                "an image is required (\"-\" means no image only with --runtime process)")
        }
        return false
    }

    /// `ToServiceMode`, with its messages.
    func serviceMode() throws -> ServiceMode {
        let replicaCount = try replicas.map { try Self.flag("replicas", $0, GoValueParsing.unsigned) }
        let concurrent = try maxConcurrent.map { try Self.flag("max-concurrent", $0, GoValueParsing.unsigned) }
        let maxPerNode =
            try maxReplicasPerNode.map { try Self.flag("replicas-max-per-node", $0, GoValueParsing.unsigned) } ?? 0
        func refuse(_ message: String) -> StarlingError { .invalidArgument(message) }
        switch mode {
        case "global", "global-job":
            if replicaCount != nil { throw refuse("replicas can only be used with replicated or replicated-job mode") }
            if maxPerNode > 0 {
                throw refuse("replicas-max-per-node can only be used with replicated or replicated-job mode")
            }
            if concurrent != nil { throw refuse("max-concurrent can only be used with replicated-job mode") }
            return mode == "global" ? .global : .globalJob
        case "replicated":
            if concurrent != nil { throw refuse("max-concurrent can only be used with replicated-job mode") }
            return .replicated(replicas: replicaCount ?? 1)
        case "replicated-job":
            let maxConcurrent = concurrent ?? replicaCount ?? 1
            return .replicatedJob(maxConcurrent: maxConcurrent, totalCompletions: replicaCount ?? maxConcurrent)
        default:
            throw refuse("Unknown mode: \(mode), only replicated and global supported")
        }
    }

    /// `makeEnv`: variables in order, a later one replacing an earlier one of the same name; `NAME` alone takes
    /// the client's value when it has one.
    func environmentList() throws -> [String]? {
        var result: [String] = []
        for entry in env {
            let key = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard !key.isEmpty else {
                throw StarlingError.invalidArgument(
                    "invalid argument \"\(entry)\" for \"-e, --env\" flag: invalid environment variable: \(entry)")
            }
            var value = entry
            if !entry.contains("="), let local = environment[String(key)] { value = "\(key)=\(local)" }
            result.removeAll { $0 != value && $0.hasPrefix(key + "=") }
            result.append(value)
        }
        return result.isEmpty ? nil : result
    }

    /// `opts.ValidateLabel` then `ConvertKVStringsToMap`.
    static func labelMap(_ entries: [String], flag: String) throws -> [String: String] {
        var labels: [String: String] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw StarlingError.invalidArgument(
                    "invalid argument \"\(entry)\" for \"--\(flag)\" flag: invalid label '\(entry)': empty name")
            }
            guard !key.contains(where: \.isWhitespace) else {
                throw StarlingError.invalidArgument(
                    "invalid argument \"\(entry)\" for \"--\(flag)\" flag: label '\(key)' contains whitespaces")
            }
            labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return labels
    }

    func healthConfig() throws -> HealthConfig? {
        func positive(_ flag: String, _ text: String?) throws -> Int64? {
            guard let text else { return nil }
            let value = try Self.flag(flag, text, GoValueParsing.duration)
            guard value >= 0 else {
                throw StarlingError.invalidArgument(
                    "invalid argument \"\(text)\" for \"--\(flag)\" flag: duration cannot be negative")
            }
            return value
        }
        let interval = try positive("health-interval", healthInterval)
        let timeout = try positive("health-timeout", healthTimeout)
        let startPeriod = try positive("health-start-period", healthStartPeriod)
        let retries =
            try healthRetries.map { text in
                guard let value = Int(text) else {
                    throw StarlingError.invalidArgument(
                        "invalid argument \"\(text)\" for \"--health-retries\" flag: strconv.ParseInt: parsing "
                            + "\(GoValueParsing.goQuote(text)): invalid syntax")
                }
                return value
            } ?? 0
        let command = healthCmd ?? ""
        let configured =
            !command.isEmpty || interval != nil || timeout != nil || startPeriod != nil || retries != 0
        if noHealthcheck {
            guard !configured else {
                throw StarlingError.invalidArgument("--no-healthcheck conflicts with --health-* options")
            }
            return HealthConfig(test: ["NONE"])
        }
        guard configured else { return nil }
        // Go leaves zero values out of the JSON.
        return HealthConfig(
            test: command.isEmpty ? nil : ["CMD-SHELL", command], interval: interval == 0 ? nil : interval,
            timeout: timeout == 0 ? nil : timeout, retries: retries == 0 ? nil : retries,
            startPeriod: startPeriod == 0 ? nil : startPeriod)
    }

    /// Always present, as the docker CLI sends it: `{"Limits":{...},"Reservations":{...}}` with what was given.
    func resources() throws -> ResourceRequirements {
        var limits = ResourceLimit()
        var reservations = Resources()
        limits.nanoCPUs = try limitCPU.map { try Self.flag("limit-cpu", $0, GoValueParsing.nanoCPUs) }
        limits.memoryBytes = try limitMemory.map { try Self.flag("limit-memory", $0, GoValueParsing.ramInBytes) }
        limits.pids = try limitPids.map { text in
            guard let value = Int64(text) else {
                throw StarlingError.invalidArgument(
                    "invalid argument \"\(text)\" for \"--limit-pids\" flag: strconv.ParseInt: parsing "
                        + "\(GoValueParsing.goQuote(text)): invalid syntax")
            }
            return value
        }
        reservations.nanoCPUs = try reserveCPU.map { try Self.flag("reserve-cpu", $0, GoValueParsing.nanoCPUs) }
        reservations.memoryBytes = try reserveMemory.map {
            try Self.flag("reserve-memory", $0, GoValueParsing.ramInBytes)
        }
        reservations.genericResources = try genericResourceList()
        if limits.nanoCPUs == 0 { limits.nanoCPUs = nil }
        if limits.memoryBytes == 0 { limits.memoryBytes = nil }
        if limits.pids == 0 { limits.pids = nil }
        if reservations.nanoCPUs == 0 { reservations.nanoCPUs = nil }
        if reservations.memoryBytes == 0 { reservations.memoryBytes = nil }
        return ResourceRequirements(limits: limits, reservations: reservations)
    }

    /// `ParseGenericResources`: `kind=count`; named resources cannot be requested.
    func genericResourceList() throws -> [GenericResource]? {
        guard !genericResources.isEmpty else { return nil }
        return try genericResources.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw StarlingError.invalidArgument(
                    "invalid argument \"\(entry)\" for \"--generic-resource\" flag: invalid generic-resource format "
                        + "`\(entry)` expected `name=value`")
            }
            guard let count = Int64(parts[1]) else {
                throw StarlingError.invalidArgument(
                    "invalid generic-resource request `\(parts[0])=\(parts[1])`, Named Generic Resources is not "
                        + "supported for service create or update")
            }
            return .discrete(kind: String(parts[0]), value: count)
        }
    }

    /// Present only when a restart flag was given; what was not given takes SwarmKit's defaults (any, 5 s, 0).
    func restartPolicy() throws -> RestartPolicy? {
        guard restartCondition != nil || restartDelay != nil || restartMaxAttempts != nil || restartWindow != nil
        else { return nil }
        var policy = RestartPolicy(condition: .any, delay: ServiceDefaults.restartDelay, maxAttempts: 0)
        if let restartCondition {
            guard let condition = RestartPolicy.Condition(rawValue: restartCondition) else {
                throw StarlingError.invalidArgument("invalid RestartCondition: \"\(restartCondition)\"")
            }
            policy.condition = condition
        }
        if let restartDelay { policy.delay = try Self.flag("restart-delay", restartDelay, GoValueParsing.duration) }
        if let restartMaxAttempts {
            policy.maxAttempts = try Self.flag("restart-max-attempts", restartMaxAttempts, GoValueParsing.unsigned)
        }
        if let restartWindow {
            policy.window = try Self.flag("restart-window", restartWindow, GoValueParsing.duration)
        }
        return policy
    }

    /// Always present (`{}` at least).
    func placement() throws -> Placement {
        let preferences = try placementPreferences.map { entry -> Placement.Preference in
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw StarlingError.invalidArgument(
                    "invalid argument \"\(entry)\" for \"--placement-pref\" flag: placement preference must be of "
                        + "the format \"<strategy>=<arg>\"")
            }
            guard parts[0] == "spread" else {
                throw StarlingError.invalidArgument(
                    "invalid argument \"\(entry)\" for \"--placement-pref\" flag: unsupported placement preference "
                        + "\(parts[0]) (only spread is supported)")
            }
            return .spread(String(parts[1]))
        }
        let maxPerNode =
            try maxReplicasPerNode.map { try Self.flag("replicas-max-per-node", $0, GoValueParsing.unsigned) } ?? 0
        return Placement(
            constraints: constraints.isEmpty ? nil : constraints, preferences: preferences.isEmpty ? nil : preferences,
            maxReplicas: maxPerNode == 0 ? nil : maxPerNode)
    }

    /// Parses one flag's value, wrapping the error as pflag does: `invalid argument "x" for "--flag" flag: ...`.
    static func flag<T>(_ name: String, _ text: String, _ parse: (String) throws -> T) throws -> T {
        do {
            return try parse(text)
        } catch let error as StarlingError {
            throw StarlingError.invalidArgument("invalid argument \"\(text)\" for \"--\(name)\" flag: \(error.message)")
        }
    }
}
