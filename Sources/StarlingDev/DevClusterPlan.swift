import StarlingModel

/// What `starling dev up` was asked for.
public struct DevClusterRequest: Hashable, Sendable {
    /// Names the cluster: its namespaces, directories and subnet derive from it.
    public var name: String
    public var nodeCount: Int
    /// Node labels to add once the nodes have joined, by node index (1-based).
    public var labels: [Int: [String: String]]
    /// The `starling` binary each daemon runs.
    public var binary: String
    /// Put every node in its own network namespace (needs root); otherwise all daemons share loopback.
    public var isolated: Bool
    /// The first control-plane port in loopback mode; node `i` listens on `basePort + i - 1`.
    public var basePort: Int
    /// Passed to every daemon as `--heartbeat-period` when set (`500ms`, `2s`).
    public var heartbeatPeriod: String?
    /// Passed to every daemon as `--log-level` when set.
    public var logLevel: String?

    public init(
        name: String = "dev", nodeCount: Int = 3, labels: [Int: [String: String]] = [:], binary: String,
        isolated: Bool, basePort: Int = 4242, heartbeatPeriod: String? = nil, logLevel: String? = nil
    ) {
        self.name = name
        self.nodeCount = nodeCount
        self.labels = labels
        self.binary = binary
        self.isolated = isolated
        self.basePort = basePort
        self.heartbeatPeriod = heartbeatPeriod
        self.logLevel = logLevel
    }

    /// Parses `--label node2:workload=jupyter` (or `2:workload=jupyter`) into a node index and a label.
    public static func parseLabel(_ text: String) throws -> (node: Int, key: String, value: String) {
        guard let colon = text.firstIndex(of: ":") else {
            throw StarlingError.invalidArgument("invalid label '\(text)': expected nodeN:key=value")
        }
        let nodeText = text[..<colon]
        let digits = nodeText.hasPrefix("node") ? nodeText.dropFirst(4) : nodeText
        guard let node = Int(digits), node >= 1 else {
            throw StarlingError.invalidArgument("invalid label '\(text)': '\(nodeText)' is not a node such as node2")
        }
        let pair = text[text.index(after: colon)...]
        let key = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard !key.isEmpty else { throw StarlingError.invalidArgument("invalid label '\(text)': the key is empty") }
        let value = pair.count > key.count ? String(pair.dropFirst(key.count + 1)) : ""
        return (node, String(key), value)
    }
}

/// Where the dev cluster keeps its files: state directories, logs and the record live under `clusterDirectory`,
/// API sockets under `socketDirectory`.
public struct DevLayout: Hashable, Sendable, Codable {
    /// The parent of every cluster's directory (`/var/lib/starling-dev`, `~/.starling-dev`).
    public var stateRoot: String
    /// The parent of every cluster's socket directory (`/run/starling-dev`, `~/.starling-dev`).
    public var socketRoot: String

    public init(stateRoot: String, socketRoot: String) {
        self.stateRoot = stateRoot
        self.socketRoot = socketRoot
    }

    /// Root keeps state in `/var/lib` and sockets in `/run`; anyone else keeps both under their home directory.
    public static func standard(isRoot: Bool, home: String) -> DevLayout {
        if isRoot { return DevLayout(stateRoot: "/var/lib/starling-dev", socketRoot: "/run/starling-dev") }
        let base = (home.hasSuffix("/") ? String(home.dropLast()) : home) + "/.starling-dev"
        return DevLayout(stateRoot: base, socketRoot: base)
    }

    public func clusterDirectory(_ name: String) -> String { "\(stateRoot)/\(name)" }
    public func socketDirectory(_ name: String) -> String { "\(socketRoot)/\(name)" }
    public func recordPath(_ name: String) -> String { "\(clusterDirectory(name))/cluster.json" }
}

/// One node of a planned dev cluster: where its daemon keeps state, where it serves the API, the address it
/// listens on, and the exact command line that starts it.
public struct DevNodePlan: Hashable, Sendable, Codable {
    /// 1-based; node 1 is the manager.
    public var index: Int
    public var hostname: String
    /// The node's network namespace, when isolated.
    public var namespace: String?
    /// The control-plane address, `ip:port`; it listens on and advertises the same address.
    public var address: String
    public var socketPath: String
    public var stateDirectory: String
    public var logFile: String
    /// The full command line: `ip netns exec <ns> <binary> daemon ...` or `<binary> daemon ...`.
    public var arguments: [String]
    /// Labels added with `node update --label-add` once the node has joined.
    public var labels: [String: String]

    /// The `-H` value that reaches the node's API.
    public var host: String { "unix://\(socketPath)" }
}

/// Everything `dev up` will create, computed without touching the system.
public struct DevClusterPlan: Hashable, Sendable {
    /// The most nodes a cluster may have: node `i` gets address `.(10 * i)` in its /24.
    public static let maximumNodes = 25
    /// The control-plane port of every node when each has its own namespace.
    public static let isolatedPort = 4242

    public var name: String
    public var layout: DevLayout
    public var network: DevNetworkPlan?
    public var nodes: [DevNodePlan]

    public var clusterDirectory: String { layout.clusterDirectory(name) }
    public var socketDirectory: String { layout.socketDirectory(name) }
    public var recordPath: String { layout.recordPath(name) }

    public init(request: DevClusterRequest, layout: DevLayout) throws {
        try Self.validate(name: request.name)
        guard (1...Self.maximumNodes).contains(request.nodeCount) else {
            throw StarlingError.invalidArgument(
                "a dev cluster has 1 to \(Self.maximumNodes) nodes, not \(request.nodeCount)")
        }
        if let wrong = request.labels.keys.sorted().first(where: { !(1...request.nodeCount).contains($0) }) {
            throw StarlingError.invalidArgument(
                "label for node\(wrong), but the cluster has \(request.nodeCount) nodes")
        }
        if !request.isolated, request.basePort < 1 || request.basePort + request.nodeCount - 1 > 65535 {
            throw StarlingError.invalidArgument("invalid base port \(request.basePort)")
        }
        name = request.name
        self.layout = layout
        network = request.isolated ? DevNetworkPlan(cluster: request.name, nodeCount: request.nodeCount) : nil
        let clusterDirectory = layout.clusterDirectory(request.name)
        let socketDirectory = layout.socketDirectory(request.name)
        var nodes: [DevNodePlan] = []
        for index in 1...request.nodeCount {
            let hostname = "node\(index)"
            let address: String
            if let network {
                address = "\(network.address(ofNode: index)):\(Self.isolatedPort)"
            } else {
                address = "127.0.0.1:\(request.basePort + index - 1)"
            }
            let socketPath = "\(socketDirectory)/\(hostname).sock"
            let stateDirectory = "\(clusterDirectory)/\(hostname)"
            var daemon = [
                request.binary, "daemon", "--state-dir", stateDirectory, "-H", "unix://\(socketPath)",
                "--listen-addr", address, "--advertise-addr", address, "--hostname", hostname,
            ]
            if let period = request.heartbeatPeriod { daemon += ["--heartbeat-period", period] }
            if let level = request.logLevel { daemon += ["--log-level", level] }
            let namespace = network?.nodeNamespace(index)
            let arguments = namespace.map { ["ip", "netns", "exec", $0] + daemon } ?? daemon
            nodes.append(
                DevNodePlan(
                    index: index, hostname: hostname, namespace: namespace, address: address, socketPath: socketPath,
                    stateDirectory: stateDirectory, logFile: "\(clusterDirectory)/\(hostname).log",
                    arguments: arguments, labels: request.labels[index] ?? [:]))
        }
        self.nodes = nodes
        if let longest = nodes.map(\.socketPath).max(by: { $0.utf8.count < $1.utf8.count }),
            longest.utf8.count > Self.maximumSocketPath
        {
            throw StarlingError.invalidArgument(
                "the socket path \(longest) is longer than \(Self.maximumSocketPath) bytes; use a shorter --name or HOME"
            )
        }
    }

    /// `sockaddr_un.sun_path` holds 108 bytes, the terminating NUL included.
    static let maximumSocketPath = 107

    /// Cluster names become parts of namespace and file names: a lowercase letter, then lowercase letters, digits
    /// and dashes, at most 20 characters.
    public static func validate(name: String) throws {
        let allowed = name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        guard let first = name.utf8.first, first >= 97, first <= 122, allowed, name.utf8.count <= 20 else {
            throw StarlingError.invalidArgument(
                "invalid dev cluster name '\(name)': use a lowercase letter, then letters, digits or '-' (20 at most)")
        }
    }

    /// Resolves `node2`, `2` or a hostname to a node of the plan.
    public static func nodeIndex(_ reference: String, count: Int) throws -> Int {
        let digits = reference.hasPrefix("node") ? String(reference.dropFirst(4)) : reference
        guard let index = Int(digits), (1...max(count, 1)).contains(index) else {
            throw StarlingError.notFound("no node '\(reference)' in the dev cluster (it has node1 to node\(count))")
        }
        return index
    }
}
