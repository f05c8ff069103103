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
    /// User-defined resources this node offers to tasks (`--node-generic-resource gpu=UUID1`, `ssd=3`).
    public var genericResources: [GenericResource]

    public init(
        stateDirectory: String = "/var/lib/starling", apiHost: String = "unix:///run/starling/starling.sock",
        listenAddress: String = "0.0.0.0:4242", advertiseAddress: String? = nil, hostname: String? = nil,
        engineLabels: [String: String] = [:], heartbeatPeriod: Duration? = nil,
        genericResources: [GenericResource] = []
    ) {
        self.genericResources = genericResources
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

    /// dockerd's `--node-generic-resource` value: `kind=value`, a count when the value is an integer
    /// (`ssd=3`), else one named unit (`gpu=UUID1`).
    public static func genericResource(_ text: String) throws -> GenericResource {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw StarlingError.invalidArgument(
                "invalid generic resource \"\(text)\": expected kind=value (e.g. gpu=UUID1 or ssd=3)")
        }
        if let count = Int64(parts[1]) { return .discrete(kind: String(parts[0]), value: count) }
        return .named(kind: String(parts[0]), value: String(parts[1]))
    }
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
