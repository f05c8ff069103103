import Foundation
import StarlingModel

/// What `dev up` started, kept as JSON in the cluster's directory (`cluster.json`) so that `status`, `fail`,
/// `restore` and `down` can act on it from another process. It is written after every step of `up`, so a cluster
/// that failed half-way can still be torn down.
public struct DevClusterRecord: Codable, Hashable, Sendable {
    public var name: String
    public var layout: DevLayout
    /// Present for an isolated cluster once its network has been (at least partly) created.
    public var network: DevNetworkPlan?
    public var nodes: [Node]
    public var createdAt: Date

    /// One node: its plan plus what was observed when it was started.
    public struct Node: Codable, Hashable, Sendable {
        public var plan: DevNodePlan
        /// The daemon's process, while it is believed to run.
        public var process: DevProcess?
        /// The swarm node ID, once the node has joined.
        public var nodeID: String?

        public init(plan: DevNodePlan, process: DevProcess? = nil, nodeID: String? = nil) {
            self.plan = plan
            self.process = process
            self.nodeID = nodeID
        }
    }

    public init(plan: DevClusterPlan, createdAt: Date) {
        name = plan.name
        layout = plan.layout
        network = nil
        nodes = plan.nodes.map { Node(plan: $0) }
        self.createdAt = createdAt
    }

    public var clusterDirectory: String { layout.clusterDirectory(name) }
    public var socketDirectory: String { layout.socketDirectory(name) }
    public var recordPath: String { layout.recordPath(name) }

    /// The node `node2`, `2` or `node2`'s hostname refers to.
    public func index(of reference: String) throws -> Int {
        if let match = nodes.firstIndex(where: { $0.plan.hostname == reference || $0.nodeID == reference }) {
            return match
        }
        return try DevClusterPlan.nodeIndex(reference, count: nodes.count) - 1
    }
}

/// A process started by the dev cluster, identified by its pid and its start time (in clock ticks since boot, as
/// `/proc/<pid>/stat` reports it), so that a recycled pid is never mistaken for it.
public struct DevProcess: Codable, Hashable, Sendable {
    public var pid: Int32
    public var startTime: UInt64?

    public init(pid: Int32, startTime: UInt64?) {
        self.pid = pid
        self.startTime = startTime
    }
}
