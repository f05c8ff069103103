import Foundation
import Logging
import StarlingModel
import StarlingPKI
import StarlingStore

/// The swarm manager: the only writer of cluster state. It validates user requests, writes through the store with
/// optimistic concurrency, and reads from the indexed view that the store's watch keeps current.
///
/// Reads wait for the view to reach the revision of the caller's last write, so a client that updates a node and
/// then inspects it sees its change.
public final class SwarmManager: Sendable {
    public let objects: ObjectStore
    public let view: ObjectView
    public let ca: RootCA
    public let clusterID: String
    /// The manager's own node ID.
    public let nodeID: String
    /// The manager's control-plane address, `host:port`.
    public let advertiseAddress: String
    public let now: @Sendable () -> Timestamp
    let logger: Logger

    public init(
        store: any KeyValueStore, view: ObjectView, ca: RootCA, clusterID: String, nodeID: String,
        advertiseAddress: String, now: @escaping @Sendable () -> Timestamp = Timestamp.now,
        logger: Logger = Logger(label: "starling.manager")
    ) {
        self.objects = ObjectStore(store: store)
        self.view = view
        self.ca = ca
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.advertiseAddress = advertiseAddress
        self.now = now
        self.logger = logger
    }

    /// Opens a store that already holds a cluster (a manager restarting).
    public static func open(
        store: any KeyValueStore, view: ObjectView, nodeID: String, advertiseAddress: String,
        now: @escaping @Sendable () -> Timestamp = Timestamp.now, logger: Logger = Logger(label: "starling.manager")
    ) async throws -> SwarmManager {
        let ca = try await StoredRootCA.load(from: store)
        guard let swarm = try await ObjectStore(store: store).get(Swarm.self, id: Swarm.storeID) else {
            throw StarlingError.internal("the cluster store holds no swarm")
        }
        return SwarmManager(
            store: store, view: view, ca: ca, clusterID: swarm.id, nodeID: nodeID,
            advertiseAddress: advertiseAddress, now: now, logger: logger)
    }

    /// Writes a new cluster into an empty store (`swarm init`): the swarm object with fresh join tokens, the
    /// root CA, and the first manager's node.
    public static func bootstrap(
        store: any KeyValueStore, ca: RootCA, clusterID: String, nodeID: String, advertiseAddress: String,
        description: NodeDescription, spec: SwarmSpec, now: Timestamp
    ) async throws {
        let tokens = JoinTokens(
            worker: JoinToken.generate(for: ca).description, manager: JoinToken.generate(for: ca).description)
        let swarm = Swarm(
            id: clusterID, version: ObjectVersion(index: 0), createdAt: now, updatedAt: now, spec: spec,
            tlsInfo: ca.tlsInfo, joinTokens: tokens)
        let host = (try? ControlPlaneHost.host(of: advertiseAddress)) ?? advertiseAddress
        let node = Node(
            id: nodeID, createdAt: now, updatedAt: now, spec: NodeSpec(role: .manager),
            description: description, status: NodeStatus(state: .ready, addr: host),
            managerStatus: ManagerStatus(leader: true, reachability: .reachable, addr: advertiseAddress))
        let result = try await store.txn(
            Transaction(
                compares: [.absent(Swarm.key(for: Swarm.storeID))],
                success: [
                    .put(
                        key: Swarm.key(for: Swarm.storeID), value: [UInt8](try StarlingJSON.encode(swarm)), lease: nil),
                    try StoredRootCA.put(ca),
                    .put(key: Node.key(for: nodeID), value: [UInt8](try StarlingJSON.encode(node)), lease: nil),
                ]))
        guard result.succeeded else {
            throw StarlingError.invalidState(
                "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one."
            )
        }
    }

    // MARK: Reading

    /// A snapshot that includes every write this manager acknowledged so far.
    public func currentSnapshot() async throws -> ClusterSnapshot {
        let revision = try await objects.store.currentRevision
        return try await view.snapshot(atLeast: revision)
    }

    public func swarm() async throws -> Swarm {
        guard let swarm = try await currentSnapshot().object(Swarm.self, id: Swarm.storeID) else {
            throw StarlingError.notInSwarm
        }
        return swarm
    }

    public func nodes(filters: Filters = Filters()) async throws -> [Node] {
        try NodeRules.filter(try await currentSnapshot().all(Node.self), by: filters)
    }

    /// Resolves an ID, a name or hostname, or a unique ID prefix, as Docker does.
    public func node(_ reference: String) async throws -> Node {
        let nodes = try await currentSnapshot().all(Node.self)
        return try Identifier.resolve(
            reference, in: nodes, kind: "node", id: \.id,
            names: { [$0.spec.name, $0.description?.hostname].compactMap { $0 } })
    }

    // MARK: Writing (users)

    /// `POST /nodes/{id}/update?version=`: replaces the node's spec if it is still at `version`.
    public func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws {
        let node = try await node(reference)
        let all = try await currentSnapshot().all(Node.self)
        try NodeRules.validateUpdate(of: node, to: spec, in: all)
        let updated = try await objects.update(Node.self, id: node.id, expectedVersion: ObjectVersion(index: version)) {
            $0.spec = spec
            $0.updatedAt = now()
            if spec.role == .manager, $0.managerStatus == nil {
                let addr = $0.status.addr.map { "\($0):\(ControlPlaneHost.defaultPort)" } ?? ""
                $0.managerStatus = ManagerStatus(leader: false, reachability: .reachable, addr: addr)
            } else if spec.role == .worker {
                $0.managerStatus = nil
            }
        }
        _ = try await view.snapshot(atLeast: Revision(updated.version.index))
    }

    /// `DELETE /nodes/{id}?force=`.
    public func removeNode(_ reference: String, force: Bool) async throws {
        let node = try await node(reference)
        try NodeRules.validateRemoval(of: node, force: force)
        try await objects.delete(Node.self, id: node.id)
        _ = try await view.snapshot(atLeast: try await objects.store.currentRevision)
        logger.info("node removed", metadata: ["node": "\(node.id)", "force": "\(force)"])
    }

    /// `POST /swarm/update`: replaces the swarm spec and rotates join tokens on request.
    public func updateSwarm(
        spec: SwarmSpec, version: UInt64, rotateWorkerToken: Bool, rotateManagerToken: Bool
    )
        async throws
    {
        if let period = spec.dispatcher?.heartbeatPeriod, period < 10_000_000 {
            throw StarlingError.invalidArgument("invalid HeartbeatPeriod: it must be at least 10ms")
        }
        let ca = self.ca
        let updated = try await objects.update(
            Swarm.self, id: Swarm.storeID, expectedVersion: ObjectVersion(index: version)
        ) { swarm in
            swarm.spec = spec
            swarm.updatedAt = now()
            var tokens = swarm.joinTokens ?? JoinTokens(worker: "", manager: "")
            if rotateWorkerToken || tokens.worker.isEmpty { tokens.worker = JoinToken.generate(for: ca).description }
            if rotateManagerToken || tokens.manager.isEmpty { tokens.manager = JoinToken.generate(for: ca).description }
            swarm.joinTokens = tokens
        }
        _ = try await view.snapshot(atLeast: Revision(updated.version.index))
    }

    /// The role a join token grants, or Docker's refusal.
    func role(forToken text: String) async throws -> NodeSpec.Role {
        let swarm = try await swarm()
        let invalid = StarlingError.invalidArgument(
            "rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster")
        guard let tokens = swarm.joinTokens, let presented = try? JoinToken(parsing: text) else { throw invalid }
        if let worker = try? JoinToken(parsing: tokens.worker), worker == presented { return .worker }
        if let manager = try? JoinToken(parsing: tokens.manager), manager == presented { return .manager }
        throw invalid
    }
}

/// `host:port` helpers for control-plane addresses.
enum ControlPlaneHost {
    static let defaultPort = 4242

    static func host(of address: String) throws -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        if let colon = address.lastIndex(of: ":"), address.firstIndex(of: ":") == colon {
            return String(address[..<colon])
        }
        return address
    }
}
