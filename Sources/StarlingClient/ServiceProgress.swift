import Foundation
import StarlingModel

/// One message of the docker CLI's progress display (a `jsonmessage`): a bar or text kept in place on its line
/// (`progress`), or a plain message (`status`).
public enum ProgressEvent: Hashable, Sendable {
    /// `id: action [bar]`; `current`/`total` draw the bar (both 0: no bar).
    case progress(id: String, action: String, current: Int64 = 0, total: Int64 = 0)
    /// `id: text`, or `text` alone when `id` is empty.
    case status(id: String, text: String)
}

/// The docker CLI's `service create/update/scale` progress (`cli/command/service/progress`), as a state machine the
/// caller drives: every 200 ms it reads the service, calls `inspect`, and, unless that finished, lists the
/// service's up-to-date tasks and the nodes and calls `update`. Time is passed in (`now`, any monotonic clock's
/// offset), so the loop can be tested without waiting.
public struct ServiceProgress: Sendable {
    /// How one poll ended.
    public enum Outcome: Hashable, Sendable {
        /// Poll again in 200 ms.
        case pending
        /// Converged (and verified), or the update completed.
        case finished
    }

    public let serviceID: String
    private var updater: (any ProgressUpdater)?
    private var converged = false
    private var convergedAt: Duration?
    private var monitor: Duration = .seconds(5)
    private var rollback = false
    private var finalMessage: ProgressEvent?

    public init(serviceID: String) {
        self.serviceID = serviceID
    }

    /// The first half of a poll: the service as just read. Returns `.finished` when there is nothing more to wait
    /// for; throws the docker CLI's error when an update paused.
    public mutating func inspect(_ service: SwarmService, now: Duration) throws -> ([ProgressEvent], Outcome) {
        var events: [ProgressEvent] = []
        if let monitor = service.spec.updateConfig?.monitor, monitor != 0 { self.monitor = .nanoseconds(monitor) }
        if updater == nil { updater = Self.updater(for: service) }
        if let status = service.updateStatus, let state = status.state {
            let message = status.message ?? ""
            switch state {
            case .updating: rollback = false
            case .completed: if !converged { return (events, .finished) }
            case .paused: throw StarlingError.invalidState("service update paused: \(message)")
            case .rollbackStarted:
                if !rollback && !message.isEmpty { events.append(.progress(id: "rollback", action: message)) }
                rollback = true
            case .rollbackPaused: throw StarlingError.invalidState("service rollback paused: \(message)")
            case .rollbackCompleted:
                if !converged { finalMessage = .status(id: "rollback", text: message) }
                rollback = true
            }
        }
        if converged, let convergedAt, now - convergedAt >= monitor {
            events.append(.progress(id: "verify", action: "Service \(serviceID) converged"))
            if let finalMessage { events.append(finalMessage) }
            return (events, .finished)
        }
        return (events, .pending)
    }

    /// The second half of a poll: the service's up-to-date tasks and the IDs of the nodes that are not down.
    public mutating func update(
        _ service: SwarmService, tasks: [SwarmTask], activeNodes: Set<String>, now: Duration
    ) -> ([ProgressEvent], Outcome) {
        guard var updater else { return ([], .pending) }
        var events: [ProgressEvent] = []
        converged = updater.update(service, tasks: tasks, activeNodes: activeNodes, rollback: rollback, into: &events)
        self.updater = updater
        if converged {
            // Jobs stay done once done: nothing to verify.
            if service.jobStatus != nil {
                events.append(.status(id: "", text: "job complete"))
                return (events, .finished)
            }
            let since = convergedAt ?? now
            convergedAt = since
            let wait = monitor - (now - since)
            if wait >= .zero {
                // Go computes this a moment after convergence, so a full period shows as 5 seconds, not 6.
                let nanoseconds = wait.components.seconds * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000
                let seconds = max(nanoseconds - 1, 0) / 1_000_000_000 + 1
                events.append(
                    .progress(id: "verify", action: "Waiting \(seconds) seconds to verify that tasks are stable..."))
            }
        } else {
            if convergedAt != nil { events.append(.progress(id: "verify", action: "Detected task failure")) }
            convergedAt = nil
        }
        return (events, .pending)
    }

    /// What Ctrl-C prints while waiting.
    public func interruptedMessages(command: String) -> [ProgressEvent] {
        converged
            ? []
            : [
                .status(id: "", text: "Operation continuing in background."),
                .status(id: "", text: "Use `\(command) service ps \(serviceID)` to check progress."),
            ]
    }

    private static func updater(for service: SwarmService) -> any ProgressUpdater {
        switch service.spec.mode {
        case .replicated: ReplicatedProgress()
        case .global: GlobalProgress()
        case .replicatedJob(let maxConcurrent, let total):
            ReplicatedJobProgress(
                concurrent: Int(maxConcurrent), total: Int(total),
                jobIteration: service.jobStatus?.jobIteration.index ?? 0)
        case .globalJob: GlobalJobProgress()
        }
    }
}

// MARK: - Updaters

/// The position of each state in the progress bar (the docker CLI's `numberedStates`); 0 for states it does not
/// show, whose tasks are skipped.
enum ProgressStates {
    static func number(_ state: TaskState) -> Int64 {
        state.rank <= TaskState.rejected.rank ? Int64(state.rank + 1) : 0
    }

    static func isTerminal(_ state: TaskState) -> Bool { number(state) > number(.running) }

    /// The width states are padded to ("preparing", "allocated").
    static let longest = 9

    static func padded(_ state: TaskState) -> String {
        state.rawValue.padding(toLength: max(longest, state.rawValue.count), withPad: " ", startingAt: 0)
    }

    /// Newlines removed, at most 75 characters (the last one `…`).
    static func truncatedError(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        guard flat.utf8.count > 75 else { return flat }
        return String(decoding: Array(flat.utf8.prefix(74)), as: UTF8.self) + "…"
    }

    static func overall(_ running: Int, _ total: Int, rollback: Bool) -> ProgressEvent {
        .progress(
            id: "overall progress",
            action: rollback
                ? "rolling back update: \(running) out of \(total) tasks" : "\(running) out of \(total) tasks")
    }

    /// The bar of one slot or node: its error, else its state while neither it nor its desired state is terminal.
    static func task(_ task: SwarmTask, id: String, barTotal: Int64, always: Bool = false) -> ProgressEvent? {
        if let error = task.status.err, !error.isEmpty {
            return .progress(id: id, action: truncatedError(error))
        }
        guard always || (!isTerminal(task.desiredState) && !isTerminal(task.status.state)) else { return nil }
        return .progress(
            id: id, action: padded(task.status.state), current: number(task.status.state), total: barTotal)
    }

    /// Of several tasks in one slot (or on one node), the one with the lowest desired state, then the lowest
    /// observed state.
    static func prefer(_ candidate: SwarmTask, over existing: SwarmTask) -> Bool {
        let (new, old) = (number(candidate.desiredState), number(existing.desiredState))
        if old < new { return false }
        if old == new && number(existing.status.state) <= number(candidate.status.state) { return false }
        return true
    }
}

protocol ProgressUpdater: Sendable {
    /// Appends the messages of one poll; true when converged.
    mutating func update(
        _ service: SwarmService, tasks: [SwarmTask], activeNodes: Set<String>, rollback: Bool,
        into events: inout [ProgressEvent]
    ) -> Bool
}

/// At most this many bars are drawn.
private let maxProgressBars = 20

struct ReplicatedProgress: ProgressUpdater {
    var slotMap: [Int: Int] = [:]
    var initialized = false
    var done = false

    mutating func update(
        _ service: SwarmService, tasks: [SwarmTask], activeNodes: Set<String>, rollback: Bool,
        into events: inout [ProgressEvent]
    ) -> Bool {
        let replicas = Int(service.spec.mode.replicas ?? 0)
        if !initialized {
            events.append(ProgressStates.overall(0, replicas, rollback: rollback))
            if replicas <= maxProgressBars {
                for slot in stride(from: 1, through: replicas, by: 1) {
                    events.append(.progress(id: "\(slot)/\(replicas)", action: " "))
                }
            }
            initialized = true
        }
        var bySlot: [Int: SwarmTask] = [:]
        for task in tasks {
            guard ProgressStates.number(task.desiredState) != 0, ProgressStates.number(task.status.state) != 0
            else { continue }
            let slot = task.slot ?? 0
            if let existing = bySlot[slot], !ProgressStates.prefer(task, over: existing) { continue }
            if let node = task.nodeID, !node.isEmpty, !activeNodes.contains(node) { continue }
            bySlot[slot] = task
        }
        if done, bySlot.values.contains(where: { $0.status.state != .running }) { done = false }
        var running = 0
        for (slot, task) in bySlot.sorted(by: { $0.key < $1.key }) {
            var mapped = slotMap[slot] ?? 0
            if mapped == 0 {
                mapped = slotMap.count + 1
                slotMap[slot] = mapped
            }
            if !ProgressStates.isTerminal(task.desiredState) && task.status.state == .running { running += 1 }
            guard !done, replicas <= maxProgressBars, mapped <= replicas else { continue }
            if let event = ProgressStates.task(task, id: "\(mapped)/\(replicas)", barTotal: 9) {
                events.append(event)
            }
        }
        if !done {
            events.append(ProgressStates.overall(running, replicas, rollback: rollback))
            if running == replicas { done = true }
        }
        return running == replicas
    }
}

struct GlobalProgress: ProgressUpdater {
    var initialized = false
    var done = false

    mutating func update(
        _ service: SwarmService, tasks: [SwarmTask], activeNodes: Set<String>, rollback: Bool,
        into events: inout [ProgressEvent]
    ) -> Bool {
        var byNode: [String: SwarmTask] = [:]
        for task in tasks {
            guard ProgressStates.number(task.desiredState) != 0, ProgressStates.number(task.status.state) != 0
            else { continue }
            let node = task.nodeID ?? ""
            if let existing = byNode[node], !ProgressStates.prefer(task, over: existing) { continue }
            byNode[node] = task
        }
        let nodeCount = byNode.count
        if !initialized {
            guard nodeCount > 0 else {
                events.append(.progress(id: "overall progress", action: "waiting for new tasks"))
                return false
            }
            events.append(ProgressStates.overall(0, nodeCount, rollback: rollback))
            initialized = true
        }
        if done, byNode.values.contains(where: { $0.status.state != .running }) { done = false }
        var running = 0
        for (node, task) in byNode.sorted(by: { $0.key < $1.key }) where activeNodes.contains(node) {
            if !ProgressStates.isTerminal(task.desiredState) && task.status.state == .running { running += 1 }
            guard !done, nodeCount <= maxProgressBars else { continue }
            if let event = ProgressStates.task(task, id: String(node.prefix(12)), barTotal: 9) { events.append(event) }
        }
        if !done {
            events.append(ProgressStates.overall(running, nodeCount, rollback: rollback))
            if running == nodeCount { done = true }
        }
        return running == nodeCount
    }
}

struct ReplicatedJobProgress: ProgressUpdater {
    let concurrent: Int
    let total: Int
    let jobIteration: UInt64
    var initialized = false

    mutating func update(
        _ service: SwarmService, tasks: [SwarmTask], activeNodes: Set<String>, rollback: Bool,
        into events: inout [ProgressEvent]
    ) -> Bool {
        if !initialized {
            events += overall(active: 0, completed: 0)
            if total <= maxProgressBars {
                for slot in stride(from: 1, through: total, by: 1) {
                    events.append(.progress(id: "\(slot)/\(total)", action: " "))
                }
            }
            initialized = true
        }
        var bySlot: [Int: SwarmTask] = [:]
        for task in tasks where task.jobIteration?.index == jobIteration {
            guard ProgressStates.number(task.desiredState) != 0, ProgressStates.number(task.status.state) != 0
            else { continue }
            let slot = task.slot ?? 0
            if let existing = bySlot[slot],
                ProgressStates.number(existing.status.state) <= ProgressStates.number(task.status.state)
            {
                continue
            }
            bySlot[slot] = task
        }
        var active = 0
        var complete = 0
        // Job slots count from 0, as SwarmKit numbers them.
        for slot in 0..<bySlot.count {
            guard let task = bySlot[slot] else { continue }
            if total <= maxProgressBars,
                let event = ProgressStates.task(task, id: "\(slot + 1)/\(total)", barTotal: 10, always: true)
            {
                events.append(event)
            }
            if ProgressStates.number(task.status.state) < ProgressStates.number(.complete) { active += 1 }
            if task.status.state == .complete { complete += 1 }
        }
        events += overall(active: active, completed: complete)
        return complete == total
    }

    private func overall(active: Int, completed: Int) -> [ProgressEvent] {
        let digits = String(total).count
        let activeDigits = String(concurrent).count
        let desired = min(total - completed, concurrent)
        func pad(_ value: Int, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - String(value).count)) + String(value)
        }
        return [
            .progress(
                id: "job progress", action: "\(pad(completed, digits)) out of \(total) complete",
                current: Int64(completed), total: Int64(total)),
            .progress(
                id: "active tasks",
                action: "\(pad(active, activeDigits)) out of \(pad(desired, activeDigits)) tasks"),
        ]
    }
}

struct GlobalJobProgress: ProgressUpdater {
    var initialized = false
    var total = 0
    var taskNodes: Set<String> = []

    mutating func update(
        _ service: SwarmService, tasks: [SwarmTask], activeNodes: Set<String>, rollback: Bool,
        into events: inout [ProgressEvent]
    ) -> Bool {
        let iteration = service.jobStatus?.jobIteration.index
        let current = tasks.filter { $0.jobIteration?.index == iteration }
        if !initialized {
            if tasks.isEmpty && !activeNodes.isEmpty {
                events.append(.progress(id: "job progress", action: "waiting for tasks"))
                return false
            }
            taskNodes = Set(current.map { $0.nodeID ?? "" })
            total = taskNodes.count
            events.append(overall(0))
            initialized = true
        }
        var byNode: [String: SwarmTask] = [:]
        for task in current where taskNodes.contains(task.nodeID ?? "") {
            let node = task.nodeID ?? ""
            if let existing = byNode[node],
                ProgressStates.number(existing.status.state) <= ProgressStates.number(task.status.state)
            {
                continue
            }
            byNode[node] = task
        }
        var complete = 0
        for (node, task) in byNode.sorted(by: { $0.key < $1.key }) {
            if total <= maxProgressBars,
                let event = ProgressStates.task(task, id: node, barTotal: 10, always: true)
            {
                events.append(event)
            }
            if task.status.state == .complete { complete += 1 }
        }
        events.append(overall(complete))
        return complete == total
    }

    private func overall(_ complete: Int) -> ProgressEvent {
        let padding = String(repeating: " ", count: max(0, String(total).count - String(complete).count))
        return .progress(
            id: "job progress", action: "\(padding)\(complete) out of \(total) complete", current: Int64(complete),
            total: Int64(total))
    }
}
