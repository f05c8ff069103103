import Foundation
import StarlingModel

/// `service inspect` output: the daemon's JSON re-indented (as the docker CLI prints raw objects), or with
/// `--pretty` the docker CLI's text template.
enum ServiceInspectFormatting {
    /// `[` + the objects + `]`, indented by four spaces as Go's `json.Indent` does, and a newline. The docker CLI
    /// keeps the daemon's key order; a Starling daemon's order is arbitrary, so keys are sorted to print the same
    /// text every time.
    static func json(_ raws: [Data]) -> String {
        var joined = Data("[".utf8)
        for (index, raw) in raws.enumerated() {
            if index > 0 { joined.append(contentsOf: Array(",".utf8)) }
            let object = try? JSONSerialization.jsonObject(with: raw, options: [.fragmentsAllowed])
            let sorted = object.flatMap {
                try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .withoutEscapingSlashes])
            }
            joined.append(sorted ?? raw)
        }
        joined.append(contentsOf: Array("]".utf8))
        return indent(joined) + "\n"
    }

    /// Go's `json.Indent(dst, src, "", "    ")` for valid JSON.
    static func indent(_ json: Data) -> String {
        var output: [UInt8] = []
        var depth = 0
        var inString = false
        var escaped = false
        var needIndent = false
        func newline() {
            output.append(UInt8(ascii: "\n"))
            output += Array(repeating: UInt8(ascii: " "), count: 4 * depth)
        }
        for byte in json {
            if inString {
                output.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
                || byte == UInt8(ascii: "\r")
            {
                continue
            }
            if needIndent && byte != UInt8(ascii: "]") && byte != UInt8(ascii: "}") {
                needIndent = false
                depth += 1
                newline()
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                output.append(byte)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                output.append(byte)
                needIndent = true
            case UInt8(ascii: ","):
                output.append(byte)
                newline()
            case UInt8(ascii: ":"):
                output += [byte, UInt8(ascii: " ")]
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if needIndent {
                    needIndent = false  // an empty object or array stays `{}` / `[]`
                } else {
                    depth -= 1
                    newline()
                }
                output.append(byte)
            default:
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: --pretty

    /// The docker CLI's `serviceInspectPrettyTemplate`, for the fields Starling has; each service is followed by
    /// an empty line, and the first line is empty too, as the template prints them.
    static func pretty(_ services: [SwarmService], now: Timestamp) -> String {
        services.map { pretty($0, now: now) + "\n" }.joined()
    }

    static func pretty(_ service: SwarmService, now: Timestamp) -> String {
        let spec = service.spec
        let template = spec.taskTemplate
        let container = template.containerSpec ?? ContainerSpec()
        var text = "\nID:\t\t\(service.id)\nName:\t\t\(spec.name)"
        if let labels = spec.labels, !labels.isEmpty {
            text +=
                "\nLabels:"
                + sortedKeys(labels).map {
                    "\n \($0)" + (labels[$0, default: ""].isEmpty ? "" : "=\(labels[$0, default: ""])")
                }.joined()
        }
        text += "\nService Mode:"
        switch spec.mode {
        case .global: text += "\tGlobal"
        case .replicated(let replicas): text += "\tReplicated\n Replicas:\t\(replicas)"
        case .replicatedJob, .globalJob: break
        }
        if let status = service.updateStatus, let state = status.state {
            text += "\nUpdateStatus:\n State:\t\t\(state.rawValue)"
            if let started = status.startedAt { text += "\n Started:\t\(ago(started, now: now))" }
            if state == .completed, let completed = status.completedAt {
                text += "\n Completed:\t\(ago(completed, now: now))"
            }
            text += "\n Message:\t\(status.message ?? "")"
        }
        text += "\nPlacement:"
        if let constraints = template.placement?.constraints, !constraints.isEmpty {
            text += "\n Constraints:\t[\(constraints.joined(separator: " "))]"
        }
        let preferences = (template.placement?.preferences ?? []).compactMap {
            $0.spread.map { "spread=" + $0.spreadDescriptor }
        }
        if !preferences.isEmpty { text += "\n Preferences:   [\(preferences.joined(separator: " "))]" }
        if let max = template.placement?.maxReplicas, max > 0 { text += "\n Max Replicas Per Node:   \(max)" }
        if let update = spec.updateConfig {
            text += updateConfig(update, title: "UpdateConfig", order: "Update order:      ")
        }
        if let rollback = spec.rollbackConfig {
            text += updateConfig(rollback, title: "RollbackConfig", order: "Rollback order:    ")
        }
        text += containerSection(container)
        text += resourcesSection(template.resources)
        let networks = (template.networks ?? []).compactMap(\.target)
        if !networks.isEmpty { text += "\nNetworks:" + networks.map { " \($0)" }.joined() + " " }
        text += "\nEndpoint Mode:\t\(spec.endpointSpec?.mode?.rawValue ?? "")"
        let ports = service.endpoint?.ports ?? []
        if !ports.isEmpty {
            text += "\nPorts:"
            for port in ports {
                text += "\n PublishedPort = \(port.publishedPort ?? 0)\n  Protocol = \(port.protocol?.rawValue ?? "")"
                text += "\n  TargetPort = \(port.targetPort ?? 0)\n  PublishMode = \(port.publishMode?.rawValue ?? "")"
            }
            text += " "
        }
        if let health = container.healthcheck {
            text +=
                "\n Healthcheck:\n  Interval = \(goDuration(health.interval ?? 0))\n  Retries = \(health.retries ?? 0)"
            text +=
                "\n  StartPeriod =\t\(goDuration(health.startPeriod ?? 0))\n  Timeout =\t\(goDuration(health.timeout ?? 0))"
            if let tests = health.test, !tests.isEmpty {
                text += "\n  Tests:" + tests.map { "\n\t Test = \($0)" }.joined() + " "
            }
        }
        return text + "\n"
    }

    private static func updateConfig(_ config: UpdateConfig, title: String, order: String) -> String {
        var text = "\n\(title):\n Parallelism:\t\(config.parallelism ?? 0)"
        if let delay = config.delay, delay > 0 { text += "\n Delay:\t\t\(goDuration(delay))" }
        text += "\n On failure:\t\(config.failureAction?.rawValue ?? "")"
        if let monitor = config.monitor, monitor > 0 { text += "\n Monitoring Period: \(goDuration(monitor))" }
        text += "\n Max failure ratio: \(goFloat(config.maxFailureRatio ?? 0))"
        return text + "\n \(order)\(config.order?.rawValue ?? "")"
    }

    private static func containerSection(_ container: ContainerSpec) -> String {
        var text = "\nContainerSpec:\n Image:\t\t\(container.image ?? "")"
        if let args = container.args, !args.isEmpty { text += "\n Args:\t\t" + args.map { $0 + " " }.joined() }
        if let env = container.env, !env.isEmpty { text += "\n Env:\t\t" + env.map { $0 + " " }.joined() }
        if let dir = container.dir, !dir.isEmpty { text += "\n Dir:\t\t\(dir)" }
        if let useInit = container.useInit { text += "\n Init:\t\t\(useInit)" }
        if let user = container.user, !user.isEmpty { text += "\n User: \(user)" }
        let (add, drop) = (container.capabilityAdd ?? [], container.capabilityDrop ?? [])
        if !add.isEmpty || !drop.isEmpty {
            text += "\nCapabilities:"
            if !add.isEmpty { text += "\n Add: \(add.joined(separator: ", "))" }
            if !drop.isEmpty { text += "\n Drop: \(drop.joined(separator: ", "))" }
        }
        if let sysctls = container.sysctls, !sysctls.isEmpty {
            text +=
                "\nSysCtls:"
                + sortedKeys(sysctls).map { key in
                    "\n \(key)" + (sysctls[key, default: ""].isEmpty ? "" : ": \(sysctls[key, default: ""])")
                }.joined()
        }
        if let mounts = container.mounts, !mounts.isEmpty {
            text += "\nMounts:"
            for mount in mounts {
                text += "\n Target:\t\(mount.target ?? "")\n  Source:\t\(mount.source ?? "")"
                text += "\n  ReadOnly:\t\(mount.readOnly ?? false)\n  Type:\t\t\(mount.type?.rawValue ?? "")"
            }
        }
        return text
    }

    private static func resourcesSection(_ resources: ResourceRequirements?) -> String {
        guard let resources else { return "" }
        var text = "\nResources:"
        let reservations = resources.reservations
        if (reservations?.nanoCPUs ?? 0) > 0 || (reservations?.memoryBytes ?? 0) > 0 {
            text += "\n Reservations:"
            if let cpus = reservations?.nanoCPUs, cpus > 0 { text += "\n  CPU:\t\t\(goFloat(Double(cpus) / 1e9))" }
            if let memory = reservations?.memoryBytes, memory > 0 {
                text += "\n  Memory:\t\(GoText.bytesSize(Double(memory)))"
            }
        }
        let limits = resources.limits
        if (limits?.nanoCPUs ?? 0) > 0 || (limits?.memoryBytes ?? 0) > 0 || (limits?.pids ?? 0) > 0 {
            text += "\n Limits:"
            if let cpus = limits?.nanoCPUs, cpus > 0 { text += "\n  CPU:\t\t\(goFloat(Double(cpus) / 1e9))" }
            if let memory = limits?.memoryBytes, memory > 0 {
                text += "\n  Memory:\t\(GoText.bytesSize(Double(memory)))"
            }
        }
        if let pids = limits?.pids, pids > 0 { text += "\n  PIDs:\t\t\(pids)" }
        return text
    }

    private static func sortedKeys(_ map: [String: String]) -> [String] {
        map.keys.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
    }

    private static func ago(_ time: Timestamp, now: Timestamp) -> String {
        GoText.humanDuration(nanoseconds: (now.seconds - time.seconds) * 1_000_000_000) + " ago"
    }

    /// Go's `%v` of a float: integral values without a fraction (`100`, not `100.0`).
    static func goFloat(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e21 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Go's `time.Duration.String()`: `0s`, `4ns`, `1.5µs`, `250ms`, `5s`, `1m30s`, `1h0m0s`.
    static func goDuration(_ nanoseconds: Int64) -> String {
        guard nanoseconds != 0 else { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let value = nanoseconds.magnitude
        func fraction(_ whole: UInt64, _ remainder: UInt64, digits: Int) -> String {
            guard remainder > 0 else { return String(whole) }
            var text = String(remainder)
            text = String(repeating: "0", count: digits - text.count) + text
            while text.hasSuffix("0") { text.removeLast() }
            return "\(whole).\(text)"
        }
        if value < 1_000 { return "\(sign)\(value)ns" }
        if value < 1_000_000 { return sign + fraction(value / 1_000, value % 1_000, digits: 3) + "µs" }
        if value < 1_000_000_000 {
            return sign + fraction(value / 1_000_000, value % 1_000_000, digits: 6) + "ms"
        }
        let hours = value / 3_600_000_000_000
        let minutes = value / 60_000_000_000 % 60
        let seconds = fraction(value / 1_000_000_000 % 60, value % 1_000_000_000, digits: 9) + "s"
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(seconds)" }
        if minutes > 0 { return "\(sign)\(minutes)m\(seconds)" }
        return sign + seconds
    }
}
