import Foundation
import StarlingClient
import StarlingModel

/// `service ls` and `service ps` tables, as the docker CLI prints them.
enum ServiceFormatting {
    // MARK: service ls

    /// `docker service ls`: `ID NAME MODE REPLICAS IMAGE PORTS`, sorted by name in natural order; `quiet` prints
    /// the (truncated) IDs only.
    static func table(_ services: [SwarmService], quiet: Bool = false) -> String {
        let sorted = services.enumerated().sorted { left, right in
            let (a, b) = (left.element.spec.name, right.element.spec.name)
            if GoText.naturalLess(a, b) { return true }
            if GoText.naturalLess(b, a) { return false }
            return left.offset < right.offset
        }.map(\.element)
        if quiet { return sorted.map { truncateID($0.id) + "\n" }.joined() }
        var text = "ID\tNAME\tMODE\tREPLICAS\tIMAGE\tPORTS\n"
        for service in sorted {
            let columns = [
                truncateID(service.id), service.spec.name, mode(service.spec.mode), replicas(service),
                ImageReference.display(service.spec.taskTemplate.containerSpec?.image ?? ""),
                ports(service.endpoint?.ports ?? []),
            ]
            text += columns.joined(separator: "\t") + "\n"
        }
        return TabWriter.table.format(text)
    }

    static func truncateID(_ id: String) -> String { String(id.prefix(12)) }

    static func mode(_ mode: ServiceMode) -> String {
        switch mode {
        case .replicated: "replicated"
        case .global: "global"
        case .replicatedJob: "replicated job"
        case .globalJob: "global job"
        }
    }

    /// `3/3`, `2/3 (max 1 per node)`, or for jobs `1/2 (3/5 completed)`.
    static func replicas(_ service: SwarmService) -> String {
        let status = service.serviceStatus ?? ServiceStatus(runningTasks: 0, desiredTasks: 0)
        let (running, desired, completed) = (status.runningTasks, status.desiredTasks, status.completedTasks)
        switch service.spec.mode {
        case .replicatedJob(_, let total):
            return "\(running)/\(desired) (\(completed)/\(total) completed)"
        case .globalJob:
            return "\(running)/\(desired) (\(completed)/\(desired + completed) completed)"
        case .replicated:
            if let max = service.spec.taskTemplate.placement?.maxReplicas, max > 0 {
                return "\(running)/\(desired) (max \(max) per node)"
            }
            return "\(running)/\(desired)"
        case .global:
            return "\(running)/\(desired)"
        }
    }

    /// Published ingress ports, consecutive ones grouped: `*:8080->80/tcp, *:9000-9001->9000-9001/tcp`.
    static func ports(_ ports: [EndpointPortConfig]) -> String {
        struct Range {
            var publishedStart: UInt32, publishedEnd: UInt32, targetStart: UInt32, targetEnd: UInt32
            var proto: String
            var text: String {
                let published =
                    publishedEnd > publishedStart ? "\(publishedStart)-\(publishedEnd)" : "\(publishedStart)"
                let target = targetEnd > targetStart ? "\(targetStart)-\(targetEnd)" : "\(targetStart)"
                return "*:\(published)->\(target)/\(proto)"
            }
        }
        let sorted = ports.sorted {
            let (a, b) = ($0.protocol?.rawValue ?? "", $1.protocol?.rawValue ?? "")
            return a == b ? ($0.publishedPort ?? 0) < ($1.publishedPort ?? 0) : a < b
        }
        var ranges: [String] = []
        var current: Range?
        for port in sorted where (port.publishMode ?? .ingress) == .ingress {
            let (published, target) = (port.publishedPort ?? 0, port.targetPort ?? 0)
            let proto = port.protocol?.rawValue ?? "tcp"
            if var range = current, range.proto == proto, published &- range.publishedEnd <= 1,
                target &- range.targetEnd <= 1, !(range.targetEnd != range.targetStart && target <= range.targetEnd)
            {
                range.publishedEnd = published
                range.targetEnd = target
                current = range
                continue
            }
            if let range = current, range.publishedStart > 0 { ranges.append(range.text) }
            current = Range(
                publishedStart: published, publishedEnd: published, targetStart: target, targetEnd: target,
                proto: proto)
        }
        if let range = current, range.publishedStart > 0 { ranges.append(range.text) }
        return ranges.joined(separator: ", ")
    }

    // MARK: service ps

    /// `docker service ps`: `ID NAME IMAGE NODE DESIRED STATE CURRENT STATE ERROR PORTS`; tasks named
    /// `service.slot` (or `service.nodeID`), sorted by name then newest first, older tasks of a slot under it with
    /// ` \_ `. `serviceNames` and `nodeNames` map IDs to what the table shows.
    static func taskTable(
        _ tasks: [SwarmTask], serviceNames: [String: String], nodeNames: [String: String], truncate: Bool,
        quiet: Bool, now: Timestamp
    ) -> String {
        let named = tasks.map { task -> (SwarmTask, String) in
            let service = serviceNames[task.serviceID] ?? task.serviceID
            let slot = task.slot ?? 0
            return (task, "\(service).\(slot != 0 ? String(slot) : task.nodeID ?? "")")
        }
        let sorted = named.enumerated().sorted { left, right in
            let (a, b) = (left.element.1, right.element.1)
            if a != b { return GoText.naturalLess(a, b) }
            if left.element.0.createdAt != right.element.0.createdAt {
                return right.element.0.createdAt < left.element.0.createdAt
            }
            return left.offset < right.offset
        }.map(\.element)
        if quiet { return sorted.map { $0.0.id + "\n" }.joined() }
        var text = "ID\tNAME\tIMAGE\tNODE\tDESIRED STATE\tCURRENT STATE\tERROR\tPORTS\n"
        var previous = ""
        for (task, name) in sorted {
            let image = task.spec.containerSpec?.image ?? ""
            let columns = [
                truncate ? truncateID(task.id) : task.id, name == previous ? " \\_ " + name : name,
                truncate ? ImageReference.display(image) : image, nodeNames[task.nodeID ?? ""] ?? task.nodeID ?? "",
                GoText.prettyPrint(task.desiredState.rawValue), currentState(task, now: now),
                error(task.status.err ?? "", truncate: truncate), taskPorts(task),
            ]
            previous = name
            text += columns.joined(separator: "\t") + "\n"
        }
        return TabWriter.table.format(text)
    }

    /// `Running 5 seconds ago`.
    static func currentState(_ task: SwarmTask, now: Timestamp) -> String {
        let elapsed =
            (now.seconds - task.status.timestamp.seconds) * 1_000_000_000
            + Int64(now.nanoseconds - task.status.timestamp.nanoseconds)
        return GoText.prettyPrint(task.status.state.rawValue) + " "
            + GoText.humanDuration(nanoseconds: elapsed).lowercased() + " ago"
    }

    /// Quoted, and cut to 30 characters with `…` unless `--no-trunc`.
    static func error(_ text: String, truncate: Bool) -> String {
        guard !text.isEmpty else { return "" }
        var shown = text
        if truncate, text.count > 30 { shown = String(text.prefix(29)) + "…" }
        return "\"\(shown)\""
    }

    static func taskPorts(_ task: SwarmTask) -> String {
        (task.status.portStatus?.ports ?? []).map {
            "*:\($0.publishedPort ?? 0)->\($0.targetPort ?? 0)/\($0.protocol?.rawValue ?? "")"
        }.joined(separator: ",")
    }
}
