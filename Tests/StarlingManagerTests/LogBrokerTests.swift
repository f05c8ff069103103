import StarlingControlPlane
import StarlingManager
import StarlingModel
import Synchronization
import Testing

/// The log broker between readers and nodes: who is asked for what, when a reader's stream ends, and what a node
/// that goes away or a reader that leaves does.
@Suite struct LogBrokerTests {
    /// Records what the broker pushes; nodes in `offline` have no session.
    final class Nodes: Sendable {
        let pushed = Mutex<[(node: String, message: ManagerMessage)]>([])
        let offline: Set<String>

        init(offline: Set<String> = []) { self.offline = offline }

        func push(_ node: String, _ message: ManagerMessage) -> Bool {
            guard !offline.contains(node) else { return false }
            pushed.withLock { $0.append((node, message)) }
            return true
        }

        func subscriptions() -> [String: LogSubscription] {
            var found: [String: LogSubscription] = [:]
            for (node, message) in pushed.withLock({ $0 }) {
                if case .logSubscription(let subscription) = message { found[node] = subscription }
            }
            return found
        }

        func ended() -> [String] {
            pushed.withLock { $0 }.compactMap { entry in
                if case .logSubscriptionEnded(let id) = entry.message { return id }
                return nil
            }
        }
    }

    static func task(_ id: String, node: String?, state: TaskState = .running) -> SwarmTask {
        let time = Timestamp(seconds: 1_700_000_000)
        return SwarmTask(
            id: id, createdAt: time, updatedAt: time, labels: [:], spec: TaskSpec(), serviceID: "svc", slot: 1,
            nodeID: node, status: TaskStatus(timestamp: time, state: state, message: ""), desiredState: .running)
    }

    static func record(_ task: String, _ text: String) -> LogRecord {
        LogRecord(taskID: task, stream: .stdout, time: Timestamp(seconds: 1_700_000_001), message: text + "\n")
    }

    static func collect(_ stream: AsyncThrowingStream<LogBroker.Entry, any Error>) async -> ([String], (any Error)?) {
        var lines: [String] = []
        do {
            for try await entry in stream { lines.append("\(entry.nodeID):\(entry.record.message)") }
            return (lines, nil)
        } catch {
            return (lines, error)
        }
    }

    @Test func eachNodeIsAskedOnceForItsTasksAndTheStreamEndsWhenAllAreDone() async throws {
        let nodes = Nodes()
        let broker = LogBroker(prefix: "m", push: nodes.push)
        let (reader, stream) = broker.open(TaskLogOptions(tail: 5))
        broker.subscribe(
            reader,
            tasks: [
                Self.task("a", node: "n1"), Self.task("b", node: "n1"), Self.task("c", node: "n2"),
                Self.task("pending", node: nil, state: .pending),
            ])
        broker.seal(reader)
        let asked = nodes.subscriptions()
        #expect(asked.keys.sorted() == ["n1", "n2"])
        #expect(asked["n1"]?.taskIDs.sorted() == ["a", "b"])
        #expect(asked["n2"]?.taskIDs == ["c"])
        #expect(asked["n1"]?.tail == 5)
        let n1 = try #require(asked["n1"]).id
        let n2 = try #require(asked["n2"]).id

        #expect(broker.publish(LogBatch(subscriptionID: n1, records: [Self.record("a", "one")]), from: "n1"))
        // A node cannot publish into another node's subscription.
        #expect(!broker.publish(LogBatch(subscriptionID: n2, records: [Self.record("c", "forged")]), from: "n1"))
        #expect(
            !broker.publish(LogBatch(subscriptionID: n1, records: [Self.record("b", "two")], done: true), from: "n1"))
        #expect(
            !broker.publish(LogBatch(subscriptionID: n2, records: [Self.record("c", "three")], done: true), from: "n2"))
        let (lines, error) = await Self.collect(stream)
        #expect(lines == ["n1:one\n", "n1:two\n", "n2:three\n"])
        #expect(error == nil)
        #expect(broker.openSubscriptions == 0)
        #expect(nodes.ended().isEmpty, "nothing to stop: every node finished")
    }

    @Test func aNodeWithoutSessionOrThatGoesAwayEndsTheStreamWithDockersWarning() async throws {
        let nodes = Nodes(offline: ["n3"])
        let broker = LogBroker(prefix: "m", push: nodes.push)
        let (reader, stream) = broker.open(TaskLogOptions())
        broker.subscribe(reader, tasks: [Self.task("a", node: "n1"), Self.task("c", node: "n3")])
        broker.seal(reader)
        broker.nodeGone("n1")
        let (lines, error) = await Self.collect(stream)
        #expect(lines.isEmpty)
        let starling = try #require(error as? StarlingError)
        #expect(
            starling.message
                == "warning: incomplete log stream. some logs could not be retrieved for the following reasons: "
                + "node n1 is not available, node n3 is not available")
    }

    @Test func aReaderThatLeavesStopsItsNodesAndLaterBatchesAreRefused() async throws {
        let nodes = Nodes()
        let broker = LogBroker(prefix: "m", push: nodes.push)
        let (reader, stream) = broker.open(TaskLogOptions(follow: true))
        broker.subscribe(reader, tasks: [Self.task("a", node: "n1")])
        let id = try #require(nodes.subscriptions()["n1"]).id
        let consumer = Task { await Self.collect(stream) }
        #expect(broker.publish(LogBatch(subscriptionID: id, records: [Self.record("a", "x")]), from: "n1"))
        consumer.cancel()
        _ = await consumer.value
        #expect(nodes.ended() == [id])
        #expect(!broker.publish(LogBatch(subscriptionID: id, records: [Self.record("a", "y")]), from: "n1"))
        #expect(broker.openSubscriptions == 0)
    }

    @Test func aFollowingReaderSubscribesNewTasksOnceAndOutlivesFinishedNodes() async throws {
        let nodes = Nodes()
        let broker = LogBroker(prefix: "m", push: nodes.push)
        let (reader, stream) = broker.open(TaskLogOptions(follow: true))
        broker.subscribe(reader, tasks: [Self.task("a", node: "n1")])
        let first = try #require(nodes.subscriptions()["n1"]).id
        #expect(!broker.publish(LogBatch(subscriptionID: first, records: [], done: true), from: "n1"))
        // The same task again is not asked for twice; a new task is.
        broker.subscribe(reader, tasks: [Self.task("a", node: "n1"), Self.task("b", node: "n2")])
        #expect(nodes.pushed.withLock { $0.count } == 2)
        let second = try #require(nodes.subscriptions()["n2"])
        #expect(second.taskIDs == ["b"] && second.follow)
        #expect(broker.publish(LogBatch(subscriptionID: second.id, records: [Self.record("b", "new")]), from: "n2"))
        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next()?.record.message == "new\n")
        #expect(broker.openSubscriptions == 1)
    }
}
