/// The network of an isolated dev cluster: one namespace per node, each with a veth pair to a bridge that lives in
/// a namespace of its own, so that the host's firewall (whose FORWARD policy may drop bridged traffic) is never
/// involved and never touched.
///
/// Node `i` gets `10.231.<k>.(10 * i)/24`, where `k` derives from the cluster's name. Subnets of two clusters may
/// coincide: each bridge lives in its own namespace, so they never meet.
public struct DevNetworkPlan: Hashable, Sendable, Codable {
    public var cluster: String
    public var nodeCount: Int
    /// The third octet of the cluster's subnet.
    public var subnetOctet: Int

    /// The namespace that holds the bridge.
    public var bridgeNamespace: String { "stl-\(cluster)-net" }
    /// The bridge's name inside `bridgeNamespace`.
    public var bridge: String { "br0" }
    public var subnet: String { "10.231.\(subnetOctet).0/24" }

    public init(cluster: String, nodeCount: Int) {
        self.cluster = cluster
        self.nodeCount = nodeCount
        self.subnetOctet = Self.subnetOctet(for: cluster)
    }

    public func nodeNamespace(_ index: Int) -> String { "stl-\(cluster)-node\(index)" }

    public func address(ofNode index: Int) -> String { "10.231.\(subnetOctet).\(10 * index)" }

    /// The bridge's end of node `index`'s veth pair (inside `bridgeNamespace`); the node's end is `eth0`.
    public func bridgePort(_ index: Int) -> String { "veth\(index)" }

    /// Every namespace of the cluster, nodes first.
    public var namespaces: [String] { (1...nodeCount).map(nodeNamespace) + [bridgeNamespace] }

    /// True for the names of this cluster's namespaces, whatever its node count (`down` uses it to find
    /// leftovers): `stl-<name>-net` and `stl-<name>-node<digits>`.
    public static func isNamespace(_ namespace: String, ofCluster cluster: String) -> Bool {
        if namespace == "stl-\(cluster)-net" { return true }
        let prefix = "stl-\(cluster)-node"
        guard namespace.hasPrefix(prefix) else { return false }
        let rest = namespace.dropFirst(prefix.count)
        return !rest.isEmpty && rest.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// FNV-1a of the name, folded into 1...254.
    static func subnetOctet(for name: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int(hash % 254) + 1
    }

    /// The `ip` commands that build the network, in order. Each one names its namespace explicitly (`ip -n`), so
    /// nothing is created in the host's namespace, not even for a moment.
    public var setupCommands: [[String]] {
        let net = bridgeNamespace
        var commands: [[String]] = [
            ["ip", "netns", "add", net],
            ["ip", "-n", net, "link", "set", "lo", "up"],
            ["ip", "-n", net, "link", "add", bridge, "type", "bridge"],
            ["ip", "-n", net, "link", "set", bridge, "up"],
        ]
        for index in 1...nodeCount {
            let node = nodeNamespace(index)
            let port = bridgePort(index)
            commands += [
                ["ip", "netns", "add", node],
                ["ip", "-n", node, "link", "set", "lo", "up"],
                ["ip", "-n", net, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", node],
                ["ip", "-n", net, "link", "set", port, "master", bridge],
                ["ip", "-n", net, "link", "set", port, "up"],
                ["ip", "-n", node, "addr", "add", "\(address(ofNode: index))/24", "dev", "eth0"],
                ["ip", "-n", node, "link", "set", "eth0", "up"],
            ]
        }
        return commands
    }
}
