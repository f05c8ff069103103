import StarlingModel
import StarlingStore

extension Dispatcher {
    /// Whose output `taskLogs` reads.
    public enum LogSource: Sendable, Hashable {
        /// Every task of the service, those that ended too (as long as the task history keeps them); when
        /// following, also the tasks that start later.
        case service(id: String)
        case task(id: String)
    }

    /// The output of the tasks `source` names, gathered from the nodes that run or ran them. Without
    /// `options.follow` the stream ends once every node has sent what it keeps; with it, the stream lasts until the
    /// consumer stops reading (a task's stream alone ends when the task has ended and its output is sent).
    public func taskLogs(
        _ source: LogSource, options: TaskLogOptions
    ) async throws -> AsyncThrowingStream<LogBroker.Entry, any Error> {
        let snapshot = try await manager.currentSnapshot()
        let (reader, entries) = logs.open(options)
        switch source {
        case .task(let id):
            logs.subscribe(reader, tasks: snapshot.object(SwarmTask.self, id: id).map { [$0] } ?? [])
            logs.seal(reader)
            return entries
        case .service(let id):
            logs.subscribe(reader, tasks: Self.tasks(of: id, in: snapshot))
            guard options.follow else {
                logs.seal(reader)
                return entries
            }
            return following(entries, reader: reader, service: id, from: snapshot)
        }
    }

    private static func tasks(of serviceID: String, in snapshot: ClusterSnapshot) -> [SwarmTask] {
        snapshot.objects(SwarmTask.self, matching: ObjectIndexKey(SwarmTask.Index.service, serviceID))
    }

    /// `entries`, while the service's new tasks are subscribed as they reach their nodes; the watch ends with the
    /// consumer.
    private func following(
        _ entries: AsyncThrowingStream<LogBroker.Entry, any Error>, reader: LogBroker.Reader, service: String,
        from snapshot: ClusterSnapshot
    ) -> AsyncThrowingStream<LogBroker.Entry, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: LogBroker.Entry.self)
        let view = manager.view
        let logs = self.logs
        let relay = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    var snapshot = snapshot
                    while !Task.isCancelled {
                        guard let next = try? await view.changes(after: snapshot.revision) else { return }
                        snapshot = next
                        logs.subscribe(reader, tasks: Self.tasks(of: service, in: snapshot))
                    }
                }
                do {
                    for try await entry in entries { continuation.yield(entry) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
                group.cancelAll()
            }
        }
        continuation.onTermination = { _ in relay.cancel() }
        return stream
    }
}
