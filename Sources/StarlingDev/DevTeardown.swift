/// What `dev down` removes, worked out from the record (when there is one) and from what is found on the machine,
/// so that it is safe to run twice and safe when some pieces are already gone.
public struct DevTeardown: Hashable, Sendable {
    /// Daemons to stop: the recorded ones still running, plus any process running a daemon whose state directory is
    /// inside the cluster's directory (found even without a record).
    public var processes: [DevProcess]
    /// Namespaces to delete, node namespaces before the bridge's namespace.
    public var namespaces: [String]
    /// Files and directories to remove: the sockets, and the whole cluster unless state is kept.
    public var paths: [String]

    public var isEmpty: Bool { processes.isEmpty && namespaces.isEmpty && paths.isEmpty }

    /// - Parameters:
    ///   - runningRecorded: the recorded daemons that still run.
    ///   - discovered: daemons found by `isDaemon(_:ofClusterDirectory:)`.
    ///   - existingNamespaces: every namespace on the machine; only this cluster's are picked.
    ///   - existingPaths: which of the candidate paths exist (others are left out of the plan).
    public init(
        name: String, layout: DevLayout, record: DevClusterRecord?, runningRecorded: [DevProcess],
        discovered: [DevProcess], existingNamespaces: [String], keepState: Bool, existingPaths: (String) -> Bool
    ) {
        var seen = Set<Int32>()
        processes = (runningRecorded + discovered).filter { seen.insert($0.pid).inserted }

        let ours = existingNamespaces.filter { DevNetworkPlan.isNamespace($0, ofCluster: name) }
        let bridge = "stl-\(name)-net"
        namespaces = ours.filter { $0 != bridge }.sorted(by: Self.naturalOrder) + ours.filter { $0 == bridge }

        let clusterDirectory = layout.clusterDirectory(name)
        let socketDirectory = layout.socketDirectory(name)
        var candidates: [String]
        if keepState {
            // The sockets go (nothing listens on them any more); the state directory and its logs stay.
            candidates = (record?.nodes ?? []).map(\.plan.socketPath)
            if socketDirectory != clusterDirectory { candidates.append(socketDirectory) }
        } else {
            candidates = [socketDirectory, clusterDirectory]
        }
        var unique = Set<String>()
        paths = candidates.filter { unique.insert($0).inserted && existingPaths($0) }
    }

    /// True for the command line of a daemon whose state lives in `clusterDirectory`: it holds `daemon` and a
    /// `--state-dir` inside that directory (directly, or behind `ip netns exec`).
    public static func isDaemon(_ arguments: [String], ofClusterDirectory clusterDirectory: String) -> Bool {
        guard arguments.contains("daemon"), let flag = arguments.firstIndex(of: "--state-dir"),
            flag + 1 < arguments.count
        else { return false }
        return arguments[flag + 1].hasPrefix(clusterDirectory + "/")
    }

    /// `node2` before `node10`.
    static func naturalOrder(_ a: String, _ b: String) -> Bool {
        let (aStem, aNumber) = split(a)
        let (bStem, bNumber) = split(b)
        return aStem != bStem ? aStem < bStem : aNumber < bNumber
    }

    private static func split(_ name: String) -> (String, Int) {
        let digits = name.reversed().prefix { $0.isASCII && $0.isNumber }
        return (String(name.dropLast(digits.count)), Int(String(digits.reversed())) ?? 0)
    }
}

/// What `dev down` did.
public struct DevTeardownReport: Hashable, Sendable {
    public var stopped: [DevProcess] = []
    /// Daemons that ignored SIGTERM for the whole grace period and were killed.
    public var killed: [DevProcess] = []
    public var deletedNamespaces: [String] = []
    public var removedPaths: [String] = []

    public var didNothing: Bool { stopped.isEmpty && deletedNamespaces.isEmpty && removedPaths.isEmpty }
}
