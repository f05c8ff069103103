import StarlingControlPlane
import StarlingModel

/// Task states observed but not yet delivered to a manager, oldest first.
///
/// While a session is up every transition goes out, in order, batched with whatever else happened since the last
/// send. When a send fails (no session), only the latest status of each task is kept: the manager applies states
/// only forward, so the latest one says everything the skipped ones did.
struct TaskStatusOutbox {
    private(set) var updates: [TaskStatusReport.Update] = []

    var isEmpty: Bool { updates.isEmpty }

    mutating func append(_ update: TaskStatusReport.Update) { updates.append(update) }

    /// Everything pending, as one report, leaving the outbox empty.
    mutating func take() -> TaskStatusReport? {
        guard !updates.isEmpty else { return nil }
        defer { updates = [] }
        return TaskStatusReport(updates: updates)
    }

    /// Puts back a report that could not be sent. Updates that arrived meanwhile are newer, so a task keeps its
    /// newest status; each task appears once, in the order of its newest status.
    mutating func putBack(_ report: TaskStatusReport) {
        let all = report.updates + updates
        var newest: [String: Int] = [:]
        for (index, update) in all.enumerated() { newest[update.taskID] = index }
        updates = all.enumerated().filter { newest[$0.element.taskID] == $0.offset }.map(\.element)
    }
}
