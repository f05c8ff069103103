import Foundation
import StarlingDev
import StarlingModel
import Synchronization
import Testing

/// The dev cluster's planning and orchestration, driven through a fake system and fake daemons: no root, no
/// processes, no network.
@Suite struct DevPlanTests {
    static let root = DevLayout.standard(isRoot: true, home: "/root")

    static func request(
        nodes: Int = 3, isolated: Bool = true, labels: [Int: [String: String]] = [:]
    ) -> DevClusterRequest {
        DevClusterRequest(
            name: "dev", nodeCount: nodes, labels: labels, binary: "/usr/bin/starling", isolated: isolated)
    }

    // MARK: Plan

    @Test func isolatedNodesGetNamespacesAddressesAndCommandLines() throws {
        let plan = try DevClusterPlan(request: Self.request(), layout: Self.root)
        let octet = try #require(plan.network?.subnetOctet)
        #expect(plan.network?.subnet == "10.231.\(octet).0/24")
        #expect(plan.nodes.map(\.address) == (1...3).map { "10.231.\(octet).\($0 * 10):4242" })
        #expect(plan.nodes.map(\.namespace) == ["stl-dev-node1", "stl-dev-node2", "stl-dev-node3"])
        let node2 = plan.nodes[1]
        #expect(node2.socketPath == "/run/starling-dev/dev/node2.sock")
        #expect(node2.stateDirectory == "/var/lib/starling-dev/dev/node2")
        #expect(node2.logFile == "/var/lib/starling-dev/dev/node2.log")
        #expect(node2.host == "unix:///run/starling-dev/dev/node2.sock")
        let address = "10.231.\(octet).20:4242"
        #expect(
            node2.arguments == [
                "ip", "netns", "exec", "stl-dev-node2", "/usr/bin/starling", "daemon", "--state-dir",
                "/var/lib/starling-dev/dev/node2", "-H", "unix:///run/starling-dev/dev/node2.sock", "--listen-addr",
                address, "--advertise-addr", address, "--hostname", "node2",
            ])
        #expect(plan.recordPath == "/var/lib/starling-dev/dev/cluster.json")
    }

    @Test func loopbackNodesShareLocalhostOnDistinctPorts() throws {
        var request = Self.request(isolated: false)
        request.basePort = 5000
        request.heartbeatPeriod = "500ms"
        let layout = DevLayout.standard(isRoot: false, home: "/home/ada/")
        let plan = try DevClusterPlan(request: request, layout: layout)
        #expect(plan.network == nil)
        #expect(plan.nodes.map(\.address) == ["127.0.0.1:5000", "127.0.0.1:5001", "127.0.0.1:5002"])
        #expect(plan.nodes.allSatisfy { $0.namespace == nil && $0.arguments.first == "/usr/bin/starling" })
        #expect(plan.nodes[0].socketPath == "/home/ada/.starling-dev/dev/node1.sock")
        #expect(plan.nodes[0].arguments.suffix(2) == ["--heartbeat-period", "500ms"])
    }

    @Test func badRequestsAreRefusedWithTheReason() {
        let layout = Self.root
        for name in ["", "Dev", "1dev", "dev_1", "a-very-long-cluster-name"] {
            var request = Self.request()
            request.name = name
            #expect(throws: StarlingError.self) { try DevClusterPlan(request: request, layout: layout) }
        }
        #expect(throws: StarlingError.self) { try DevClusterPlan(request: Self.request(nodes: 0), layout: layout) }
        #expect(throws: StarlingError.self) { try DevClusterPlan(request: Self.request(nodes: 26), layout: layout) }
        #expect(throws: StarlingError.self) {
            try DevClusterPlan(request: Self.request(labels: [4: ["a": "b"]]), layout: layout)
        }
        let deep = DevLayout(stateRoot: "/tmp", socketRoot: "/" + String(repeating: "x", count: 100))
        #expect(throws: StarlingError.self) { try DevClusterPlan(request: Self.request(), layout: deep) }
    }

    @Test func labelsAreParsedPerNode() throws {
        #expect(try DevClusterRequest.parseLabel("node2:workload=jupyter") == (2, "workload", "jupyter"))
        #expect(try DevClusterRequest.parseLabel("3:gpu") == (3, "gpu", ""))
        #expect(try DevClusterRequest.parseLabel("node1:url=a=b") == (1, "url", "a=b"))
        for bad in ["workload=jupyter", "nodeX:a=b", "node0:a=b", "node2:=b"] {
            #expect(throws: StarlingError.self) { try DevClusterRequest.parseLabel(bad) }
        }
    }

    @Test func theNetworkIsBuiltInsideItsOwnNamespaces() throws {
        let network = DevNetworkPlan(cluster: "dev", nodeCount: 2)
        let commands = network.setupCommands
        #expect(commands.first == ["ip", "netns", "add", "stl-dev-net"])
        // Nothing but `netns add` runs in the host's namespace.
        #expect(commands.allSatisfy { $0[1] == "-n" || $0[1] == "netns" && $0[2] == "add" })
        #expect(
            commands.contains([
                "ip", "-n", "stl-dev-net", "link", "add", "veth2", "type", "veth", "peer", "name", "eth0", "netns",
                "stl-dev-node2",
            ]))
        #expect(
            commands.contains([
                "ip", "-n", "stl-dev-node2", "addr", "add", "\(network.address(ofNode: 2))/24", "dev", "eth0",
            ]))
        for namespace in network.namespaces {
            #expect(commands.contains(["ip", "-n", namespace, "link", "set", "lo", "up"]))
        }
        #expect(DevNetworkPlan(cluster: "dev", nodeCount: 1).subnetOctet == network.subnetOctet)
        #expect((1...254).contains(network.subnetOctet))
    }

    @Test func onlyThisClustersNamespacesAndDaemonsAreRecognised() {
        #expect(DevNetworkPlan.isNamespace("stl-dev-net", ofCluster: "dev"))
        #expect(DevNetworkPlan.isNamespace("stl-dev-node12", ofCluster: "dev"))
        #expect(!DevNetworkPlan.isNamespace("stl-dev-2-node1", ofCluster: "dev"))
        #expect(!DevNetworkPlan.isNamespace("stl-dev-node", ofCluster: "dev"))
        #expect(!DevNetworkPlan.isNamespace("stl-dev-node1x", ofCluster: "dev"))
        let directory = "/var/lib/starling-dev/dev"
        #expect(
            DevTeardown.isDaemon(
                ["ip", "netns", "exec", "ns", "/s", "daemon", "--state-dir", directory + "/node1"],
                ofClusterDirectory: directory))
        #expect(
            !DevTeardown.isDaemon(
                ["/s", "daemon", "--state-dir", directory + "-2/node1"], ofClusterDirectory: directory))
        #expect(
            !DevTeardown.isDaemon(
                ["/s", "dev", "down", "--state-dir", directory + "/node1"], ofClusterDirectory: directory))
    }

    @Test func teardownCombinesTheRecordWithWhatIsFound() throws {
        let plan = try DevClusterPlan(request: Self.request(), layout: Self.root)
        let record = DevClusterRecord(plan: plan, createdAt: Date(timeIntervalSince1970: 0))
        let teardown = DevTeardown(
            name: "dev", layout: Self.root, record: record,
            runningRecorded: [DevProcess(pid: 10, startTime: 1)],
            discovered: [DevProcess(pid: 10, startTime: 1), DevProcess(pid: 11, startTime: 2)],
            existingNamespaces: ["stl-dev-net", "stl-dev-node10", "other", "stl-dev-node2"], keepState: false,
            existingPaths: { $0 != "/run/starling-dev/dev/node3.sock" })
        #expect(teardown.processes.map(\.pid) == [10, 11])
        #expect(teardown.namespaces == ["stl-dev-node2", "stl-dev-node10", "stl-dev-net"])
        #expect(teardown.paths == ["/run/starling-dev/dev", "/var/lib/starling-dev/dev"])
        let keeping = DevTeardown(
            name: "dev", layout: Self.root, record: record, runningRecorded: [], discovered: [], existingNamespaces: [],
            keepState: true, existingPaths: { $0 != "/run/starling-dev/dev/node3.sock" })
        #expect(
            keeping.paths == [
                "/run/starling-dev/dev/node1.sock", "/run/starling-dev/dev/node2.sock", "/run/starling-dev/dev",
            ])
        let nothing = DevTeardown(
            name: "dev", layout: Self.root, record: nil, runningRecorded: [], discovered: [], existingNamespaces: ["x"],
            keepState: false, existingPaths: { _ in false })
        #expect(nothing.isEmpty)
    }

    // MARK: Cluster lifecycle

    @Test func upBuildsTheNetworkStartsDaemonsFormsTheSwarmAndLabels() async throws {
        let fake = FakeMachine()
        let cluster = fake.cluster()
        let status = try await cluster.up(Self.request(labels: [2: ["workload": "jupyter"]]), layout: Self.root)

        let log = fake.log
        let firstSpawn = try #require(log.firstIndex { $0.hasPrefix("spawn") })
        let lastIP = try #require(log.lastIndex { $0.hasPrefix("run ip") && !$0.contains("netns delete") })
        #expect(lastIP < firstSpawn, "the network exists before any daemon starts")
        let address1 = status.record.nodes[0].plan.address
        #expect(fake.swarm.calls.contains("init node1 listen=\(address1) advertise=\(address1)"))
        #expect(fake.swarm.calls.contains("join node2 remote=\(address1) token=SWMTKN-worker"))
        #expect(fake.swarm.calls.contains("join node3 remote=\(address1) token=SWMTKN-worker"))
        #expect(fake.swarm.labels["id-node2"] == ["workload": "jupyter"])
        #expect(status.running == [true, true, true])
        #expect(status.nodes?.count == 3)
        #expect(status.managerHost == "unix:///run/starling-dev/dev/node1.sock")

        let saved = try cluster.loadRecord(name: "dev", layout: Self.root)
        #expect(saved.nodes.map(\.nodeID) == ["id-node1", "id-node2", "id-node3"])
        #expect(saved.nodes.allSatisfy { $0.process != nil })
        #expect(saved.network?.bridgeNamespace == "stl-dev-net")

        await #expect(throws: StarlingError.self) { try await cluster.up(Self.request(), layout: Self.root) }
    }

    @Test func upStopsWhatItStartedWhenADaemonDies() async throws {
        let fake = FakeMachine()
        fake.crashOnStart = "node2"
        let cluster = fake.cluster()
        let error = await #expect(throws: StarlingError.self) {
            try await cluster.up(Self.request(), layout: Self.root)
        }
        #expect(error?.message.contains("node2") == true)
        #expect(error?.message.contains("listen tcp: address already in use") == true, "the end of the log is shown")
        #expect(fake.runningCount == 0)
        #expect(fake.namespaces.isEmpty)
        // State and logs stay for reading; `down` removes them.
        #expect(fake.fileExists("/var/lib/starling-dev/dev/cluster.json"))
        let report = try await cluster.down(name: "dev", layout: Self.root, keepState: false)
        #expect(report.removedPaths.contains("/var/lib/starling-dev/dev"))
        #expect(!fake.fileExists("/var/lib/starling-dev/dev/cluster.json"))
    }

    @Test func failKillsAndRestoreRestartsTheSameCommandLine() async throws {
        let fake = FakeMachine()
        let cluster = fake.cluster()
        _ = try await cluster.up(Self.request(), layout: Self.root)
        let before = try cluster.loadRecord(name: "dev", layout: Self.root).nodes[1]

        let failed = try await cluster.fail(name: "dev", layout: Self.root, node: "node2")
        #expect(failed.process == nil)
        #expect(fake.log.contains("signal kill \(before.process?.pid ?? 0)"))
        await #expect(throws: StarlingError.self) { try await cluster.fail(name: "dev", layout: Self.root, node: "2") }

        let status = try await cluster.restore(name: "dev", layout: Self.root, node: "2")
        #expect(status.running == [true, true, true])
        #expect(fake.log.filter { $0 == "spawn " + before.plan.arguments.joined(separator: " ") }.count == 2)
        await #expect(throws: StarlingError.self) {
            try await cluster.restore(name: "dev", layout: Self.root, node: "node2")
        }
        await #expect(throws: StarlingError.self) {
            try await cluster.fail(name: "dev", layout: Self.root, node: "node9")
        }
    }

    @Test func downRemovesEverythingAndIsSafeToRunTwice() async throws {
        let fake = FakeMachine()
        let cluster = fake.cluster()
        _ = try await cluster.up(Self.request(), layout: Self.root)
        let report = try await cluster.down(name: "dev", layout: Self.root, keepState: false)
        #expect(report.stopped.count == 3)
        #expect(report.deletedNamespaces == ["stl-dev-node1", "stl-dev-node2", "stl-dev-node3", "stl-dev-net"])
        #expect(fake.runningCount == 0)
        #expect(fake.namespaces.isEmpty)
        #expect(!fake.fileExists("/var/lib/starling-dev/dev"))
        let again = try await cluster.down(name: "dev", layout: Self.root, keepState: false)
        #expect(again.didNothing)
    }

    @Test func downWithoutARecordFindsLeftoverDaemonsAndNamespaces() async throws {
        let fake = FakeMachine()
        let cluster = fake.cluster()
        _ = try await cluster.up(Self.request(nodes: 2), layout: Self.root)
        fake.deleteFile("/var/lib/starling-dev/dev/cluster.json")
        let report = try await cluster.down(name: "dev", layout: Self.root, keepState: false)
        #expect(report.stopped.count == 2)
        #expect(report.deletedNamespaces.count == 3)
        #expect(fake.runningCount == 0)
    }

    @Test func downKillsADaemonThatIgnoresSigterm() async throws {
        let fake = FakeMachine()
        let cluster = fake.cluster()
        _ = try await cluster.up(Self.request(nodes: 1, isolated: false), layout: Self.root)
        fake.ignoreTerm = true
        let report = try await cluster.down(name: "dev", layout: Self.root, keepState: true)
        #expect(report.killed.count == 1)
        #expect(fake.runningCount == 0)
        #expect(fake.fileExists("/var/lib/starling-dev/dev/cluster.json"), "--keep-state keeps the record")
    }

    @Test func waitingForNodesGivesUpAtTheDeadlineWithTheReason() async throws {
        let fake = FakeMachine()
        fake.swarm.neverReady = true
        let cluster = fake.cluster()
        let error = await #expect(throws: StarlingError.self) {
            try await cluster.up(Self.request(), layout: Self.root)
        }
        #expect(error?.message.contains("timed out") == true)
        #expect(error?.message.contains("not ready: node1, node2, node3") == true)
    }
}

// MARK: - Fakes

/// A machine in memory: files, processes that run until signalled, and the namespaces `ip netns add` made.
final class FakeMachine: DevSystem {
    struct State {
        var files: [String: Data] = [:]
        var directories: Set<String> = []
        var processes: [Int32: (arguments: [String], running: Bool)] = [:]
        var nextPID: Int32 = 100
        var namespaces: Set<String> = []
        var log: [String] = []
        var crashOnStart: String?
        var ignoreTerm = false
    }

    /// Shared with `swarm`, which answers only while the daemon behind a socket runs.
    final class Store: Sendable {
        let state = Mutex(State())

        func isServing(_ socket: String) -> Bool {
            state.withLock { $0.processes.values.contains { $0.running && $0.arguments.contains("unix://" + socket) } }
        }
    }

    private let store = Store()
    let clock = TestClock()
    let swarm: FakeSwarm

    init() {
        let store = store
        swarm = FakeSwarm(isServing: { store.isServing($0) })
    }

    func cluster() -> DevCluster {
        DevCluster(system: self, engines: swarm, clock: clock, now: { Date(timeIntervalSince1970: 0) })
    }

    var log: [String] { store.state.withLock { $0.log } }
    var namespaces: Set<String> { store.state.withLock { $0.namespaces } }
    var runningCount: Int { store.state.withLock { $0.processes.values.filter(\.running).count } }
    var crashOnStart: String? {
        get { store.state.withLock { $0.crashOnStart } }
        set { store.state.withLock { $0.crashOnStart = newValue } }
    }
    var ignoreTerm: Bool {
        get { store.state.withLock { $0.ignoreTerm } }
        set { store.state.withLock { $0.ignoreTerm = newValue } }
    }

    func deleteFile(_ path: String) { _ = store.state.withLock { $0.files.removeValue(forKey: path) } }

    func run(_ arguments: [String]) async throws -> String {
        try store.state.withLock { state in
            state.log.append("run " + arguments.joined(separator: " "))
            guard arguments.count == 4, arguments[0] == "ip", arguments[1] == "netns" else { return "" }
            let name = arguments[3]
            switch arguments[2] {
            case "add":
                guard state.namespaces.insert(name).inserted else {
                    throw StarlingError.internal("Cannot create namespace file \"/run/netns/\(name)\": File exists")
                }
            case "delete":
                guard state.namespaces.remove(name) != nil else {
                    throw StarlingError.internal("Cannot remove namespace file \"/run/netns/\(name)\": No such file")
                }
            default: break
            }
            return ""
        }
    }

    func spawn(_ arguments: [String], logFile: String) throws -> DevProcess {
        store.state.withLock { state in
            state.log.append("spawn " + arguments.joined(separator: " "))
            let pid = state.nextPID
            state.nextPID += 1
            let crashes = state.crashOnStart.map { arguments.contains($0) } ?? false
            state.processes[pid] = (arguments, !crashes)
            if crashes { state.files[logFile] = Data("starting\nlisten tcp: address already in use\n".utf8) }
            return DevProcess(pid: pid, startTime: 1)
        }
    }

    func isRunning(_ process: DevProcess) -> Bool {
        store.state.withLock { $0.processes[process.pid]?.running ?? false }
    }

    func signal(_ process: DevProcess, _ signal: DevSignal) throws {
        store.state.withLock { state in
            state.log.append("signal \(signal.rawValue) \(process.pid)")
            if signal == .kill || !state.ignoreTerm { state.processes[process.pid]?.running = false }
        }
    }

    func processes(matching matches: ([String]) -> Bool) -> [DevProcess] {
        store.state.withLock { state in
            state.processes.filter { $0.value.running && matches($0.value.arguments) }.keys.sorted().map {
                DevProcess(pid: $0, startTime: 1)
            }
        }
    }

    func networkNamespaces() async throws -> [String] { store.state.withLock { $0.namespaces.sorted() } }
    func readFile(_ path: String) throws -> Data? { store.state.withLock { $0.files[path] } }
    func writeFile(_ path: String, _ data: Data) throws { store.state.withLock { $0.files[path] = data } }
    func fileExists(_ path: String) -> Bool {
        store.state.withLock { $0.files[path] != nil || $0.directories.contains(path) }
    }
    func createDirectory(_ path: String) throws { _ = store.state.withLock { $0.directories.insert(path) } }
    func remove(_ path: String) throws {
        store.state.withLock { state in
            state.files = state.files.filter { $0.key != path && !$0.key.hasPrefix(path + "/") }
            state.directories = state.directories.filter { $0 != path && !$0.hasPrefix(path + "/") }
        }
    }
}

/// Daemons in memory: a swarm formed by `init` and `join` calls, reachable only while the daemon serving the
/// socket runs.
final class FakeSwarm: DevEngineProvider {
    struct State {
        var calls: [String] = []
        var nodes: [String: (node: Node, socket: String)] = [:]
        var neverReady = false
    }

    private let state = Mutex(State())
    let isServing: @Sendable (String) -> Bool

    init(isServing: @escaping @Sendable (String) -> Bool) { self.isServing = isServing }

    var calls: [String] { state.withLock { $0.calls } }
    var labels: [String: [String: String]] { state.withLock { $0.nodes.mapValues(\.node.spec.labels) } }
    var neverReady: Bool {
        get { state.withLock { $0.neverReady } }
        set { state.withLock { $0.neverReady = newValue } }
    }

    func engine(socketPath: String) -> any DevEngine { Engine(swarm: self, socket: socketPath) }

    struct Engine: DevEngine {
        let swarm: FakeSwarm
        let socket: String
        var host: String { String(socket.split(separator: "/").last?.dropLast(5) ?? "") }

        private func reach() throws {
            guard swarm.isServing(socket) else {
                throw StarlingError.unavailable("Cannot connect to the Starling daemon at unix://\(socket).")
            }
        }

        private func add(_ role: NodeSpec.Role, _ call: String) -> String {
            let id = "id-\(host)"
            let node = Node(
                id: id, version: .init(index: 1), createdAt: Timestamp(seconds: 0), updatedAt: Timestamp(seconds: 0),
                spec: NodeSpec(role: role), description: NodeDescription(hostname: host),
                status: NodeStatus(state: .ready))
            swarm.state.withLock {
                $0.calls.append(call)
                $0.nodes[id] = (node, socket)
            }
            return id
        }

        func info() async throws -> SystemInfo {
            try reach()
            let joined = swarm.state.withLock { $0.nodes["id-\(host)"] != nil }
            return SystemInfo(
                id: host, name: host, serverVersion: "0.1.0", operatingSystem: "test", architecture: "x86_64",
                kernelVersion: "6", ncpu: 1, memTotal: 1, dockerRootDir: "/", labels: [],
                swarm: SwarmInfo(nodeID: joined ? "id-\(host)" : "", localNodeState: joined ? .active : .inactive))
        }

        func swarmInit(_ request: SwarmInitRequest) async throws -> String {
            try reach()
            return add(
                .manager, "init \(host) listen=\(request.listenAddr ?? "") advertise=\(request.advertiseAddr ?? "")")
        }

        func swarmInspect() async throws -> Swarm {
            try reach()
            return Swarm(
                id: "cluster", version: .init(index: 1), createdAt: Timestamp(seconds: 0),
                updatedAt: Timestamp(seconds: 0), spec: SwarmSpec(),
                joinTokens: JoinTokens(worker: "SWMTKN-worker", manager: "SWMTKN-manager"))
        }

        func swarmJoin(_ request: SwarmJoinRequest) async throws {
            try reach()
            _ = add(
                .worker, "join \(host) remote=\(request.remoteAddrs.joined(separator: ",")) token=\(request.joinToken)")
        }

        func nodes() async throws -> [Node] {
            try reach()
            let (entries, neverReady) = swarm.state.withLock { (Array($0.nodes.values), $0.neverReady) }
            return entries.map { entry in
                var node = entry.node
                node.status.state = !neverReady && swarm.isServing(entry.socket) ? .ready : .down
                return node
            }.sorted { $0.id < $1.id }
        }

        func node(_ reference: String) async throws -> Node {
            guard let node = try await nodes().first(where: { $0.id == reference }) else {
                throw StarlingError.notFound("node \(reference) not found")
            }
            return node
        }

        func updateNode(_ reference: String, version: UInt64, spec: NodeSpec) async throws {
            try reach()
            try swarm.state.withLock { state in
                guard var entry = state.nodes[reference] else {
                    throw StarlingError.notFound("node \(reference) not found")
                }
                guard entry.node.version.index == version else { throw StarlingError.outOfSequence }
                entry.node.spec = spec
                entry.node.version.index += 1
                state.nodes[reference] = entry
            }
        }
    }
}

/// A clock whose sleeps return at once, having moved time to their deadline.
final class TestClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))
    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .zero }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        current.withLock { if $0 < deadline { $0 = deadline } }
    }
}
