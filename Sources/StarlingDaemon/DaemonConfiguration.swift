import Foundation
import StarlingModel

/// How a `starling daemon` process is configured (its command-line flags).
public struct DaemonConfiguration: Sendable, Hashable {
    /// Where the node keeps its identity, certificates and, on managers, the cluster store.
    public var stateDirectory: String
    /// Where the Engine API is served: `unix:///path` or `tcp://host:port`.
    public var apiHost: String
    /// The control-plane listen address, `host:port`.
    public var listenAddress: String
    /// The control-plane address other nodes use to reach this one, `host[:port]`; derived when nil.
    public var advertiseAddress: String?
    /// The hostname this node reports; the machine's when nil.
    public var hostname: String?
    /// Engine labels (`--label k=v`), shown as `engine.labels.*`.
    public var engineLabels: [String: String]
    /// The base heartbeat period a new swarm is created with; nil keeps the default (500 ms).
    public var heartbeatPeriod: Duration?

    public init(
        stateDirectory: String = "/var/lib/starling", apiHost: String = "unix:///run/starling/starling.sock",
        listenAddress: String = "0.0.0.0:4242", advertiseAddress: String? = nil, hostname: String? = nil,
        engineLabels: [String: String] = [:], heartbeatPeriod: Duration? = nil
    ) {
        self.stateDirectory = stateDirectory
        self.apiHost = apiHost
        self.listenAddress = listenAddress
        self.advertiseAddress = advertiseAddress
        self.hostname = hostname
        self.engineLabels = engineLabels
        self.heartbeatPeriod = heartbeatPeriod
    }

    /// The hostname the node reports.
    public var effectiveHostname: String { hostname ?? ProcessInfo.processInfo.hostName }
}

/// What a node remembers about its swarm membership across restarts (`<state-dir>/swarm.json`).
struct SwarmMembership: Codable, Hashable, Sendable {
    var clusterID: String
    var nodeID: String
    var role: NodeSpec.Role
    /// True on the manager that holds the cluster store.
    var holdsStore: Bool
    /// The control-plane address this node listens on and the one it advertises.
    var listenAddress: String
    var advertiseAddress: String
    /// Managers to connect to, most recently known first.
    var managers: [ManagerAddress]

    struct ManagerAddress: Codable, Hashable, Sendable {
        var nodeID: String
        var addr: String
    }

    static func load(from directory: String) throws -> SwarmMembership? {
        let path = directory + "/swarm.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try StarlingJSON.decode(SwarmMembership.self, from: data)
    }

    func save(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try StarlingJSON.encoder(pretty: true).encode(self)
        try data.write(to: URL(fileURLWithPath: directory + "/swarm.json"), options: .atomic)
    }

    static func remove(from directory: String) throws {
        let path = directory + "/swarm.json"
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    }
}
