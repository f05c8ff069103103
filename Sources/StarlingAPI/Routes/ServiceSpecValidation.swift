import Foundation
import StarlingModel

/// The checks dockerd and SwarmKit make on a service spec before storing it, with their messages (dockerd 20.10
/// passes SwarmKit's gRPC errors through: `rpc error: code = InvalidArgument desc = ...`). A failure is a 400.
///
/// What needs the cluster's state (placement constraint syntax against node attributes, name conflicts, networks,
/// secrets) is left to the backend.
public enum ServiceSpecValidation {
    public static func validate(_ spec: ServiceSpec) throws {
        try validateName(spec.name)
        try validateRuntime(spec)
        try validateResources(spec.taskTemplate.resources)
        try validateRestartPolicy(spec.taskTemplate.restartPolicy)
        try validateHealthcheck(spec.taskTemplate.containerSpec?.healthcheck)
        try validateUpdateConfig(spec.updateConfig, field: "UpdateConfig")
        try validateUpdateConfig(spec.rollbackConfig, field: "RollbackConfig")
    }

    static func invalid(_ message: String) -> StarlingError {
        .invalidArgument("rpc error: code = InvalidArgument desc = \(message)")
    }

    /// An empty name is allowed: the backend picks one, as dockerd does.
    static func validateName(_ name: String) throws {
        guard !name.isEmpty else { return }
        guard isDNSName(name) else { throw invalid("name must be valid as a DNS name component") }
        guard name.utf8.count <= 63 else { throw invalid("name must be 63 characters or fewer") }
    }

    /// SwarmKit's `^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$`: letters and digits, with runs of `-` and `_` only between
    /// them.
    static func isDNSName(_ name: String) -> Bool {
        func isAlphanumeric(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
        }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    static func validateRuntime(_ spec: ServiceSpec) throws {
        let runtime = spec.taskRuntime
        switch runtime {
        case .container:
            guard let container = spec.taskTemplate.containerSpec else {
                throw invalid("ContainerSpec: missing in service spec")
            }
            guard let image = container.image, !image.isEmpty else {
                throw invalid("ContainerSpec: image reference must be provided")
            }
        case .process:
            let container = spec.taskTemplate.containerSpec
            guard !(container?.command ?? []).isEmpty || !(container?.args ?? []).isEmpty else {
                throw invalid(
                    "ContainerSpec: a process task needs a command (ContainerSpec.Command or ContainerSpec.Args)")
            }
        case .attachment:
            throw StarlingError.invalidArgument("invalid task spec: spec type \"attachment\" not supported")
        case .plugin:
            throw StarlingError.invalidArgument("runtime type \"plugin\" only supported in experimental")
        default:
            throw StarlingError.invalidArgument("unsupported runtime type: \"\(runtime.rawValue)\"")
        }
    }

    static func validateResources(_ resources: ResourceRequirements?) throws {
        for (cpus, memory) in [
            (resources?.limits?.nanoCPUs, resources?.limits?.memoryBytes),
            (resources?.reservations?.nanoCPUs, resources?.reservations?.memoryBytes),
        ] {
            if let cpus, cpus != 0, cpus < 1_000_000 {
                throw invalid("invalid cpu value \(Double(cpus) / 1e9): Must be at least 0.001")
            }
            if let memory, memory != 0, memory < 4 << 20 {
                throw invalid("invalid memory value \(memory): Must be at least 4MiB")
            }
        }
        if let pids = resources?.limits?.pids, pids < 0 {
            throw invalid("invalid pids value \(pids): must not be negative")
        }
    }

    static func validateRestartPolicy(_ policy: RestartPolicy?) throws {
        if let delay = policy?.delay, delay < 0 { throw invalid("TaskSpec: restart-delay cannot be negative") }
        if let window = policy?.window, window < 0 { throw invalid("TaskSpec: restart-window cannot be negative") }
    }

    /// Durations must be 0 (the default) or at least 1 ms; retries must not be negative.
    static func validateHealthcheck(_ health: HealthConfig?) throws {
        guard let health else { return }
        let durations: [(String, Int64?)] = [
            ("Interval", health.interval), ("Timeout", health.timeout), ("StartPeriod", health.startPeriod),
        ]
        for (field, value) in durations {
            if let value, value != 0, value < 1_000_000 {
                throw invalid("ContainerSpec: \(field) in HealthConfig cannot be less than 1ms")
            }
        }
        if let retries = health.retries, retries < 0 {
            throw invalid("ContainerSpec: Retries in HealthConfig cannot be negative")
        }
    }

    static func validateUpdateConfig(_ config: UpdateConfig?, field: String) throws {
        guard let config else { return }
        if let delay = config.delay, delay < 0 { throw invalid("TaskSpec: update-delay cannot be negative") }
        if let monitor = config.monitor, monitor < 0 { throw invalid("\(field): monitor cannot be negative") }
        if let ratio = config.maxFailureRatio, !(0...1).contains(ratio) {
            throw invalid("\(field): max-failure-ratio must be between 0 and 1")
        }
        if field == "RollbackConfig", config.failureAction == .rollback {
            throw invalid("RollbackConfig: failure action cannot be rollback")
        }
    }
}
