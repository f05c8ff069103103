/// The filters a node must pass to take a task, in the order they run. A node that fails is counted against the
/// first filter it fails, and those counts explain an unplaceable task in SwarmKit's words.
public enum SchedulingFilter: UInt8, Hashable, Sendable, CaseIterable, Comparable {
    /// The node is `ready` and its availability `active`.
    case ready = 1
    /// The node supports the task's runtime.
    case runtime
    /// Enough CPU, memory and generic resources are left.
    case resources
    /// Every placement constraint holds.
    case constraints
    /// The node's OS and architecture are among the task's platforms.
    case platform
    /// None of the task's host-mode ports is taken on the node.
    case hostPorts
    /// The node has fewer than `maxReplicasPerNode` tasks of the service.
    case maxReplicas

    public static func < (lhs: SchedulingFilter, rhs: SchedulingFilter) -> Bool { lhs.rawValue < rhs.rawValue }

    /// What it means that this filter rejected `nodes` nodes: SwarmKit's `Explain` wording (`manager/scheduler/
    /// filter.go`). The runtime filter has no SwarmKit twin; its wording follows the platform filter's.
    public func explain(nodes: Int) -> String {
        let subject = nodes == 1 ? "1 node" : "\(nodes) nodes"
        switch self {
        case .ready: return "\(subject) not available for new tasks"
        case .runtime: return "unsupported runtime on \(subject)"
        case .resources: return "insufficient resources on \(subject)"
        case .constraints: return "scheduling constraints not satisfied on \(subject)"
        case .platform: return "unsupported platform on \(subject)"
        case .hostPorts: return "host-mode port already in use on \(subject)"
        case .maxReplicas: return "max replicas per node limit exceed"
        }
    }

    /// The task status error for a task no node could take, given how many nodes each filter rejected: SwarmKit's
    /// `no suitable node (…)`, most rejections first, ties in filter order, filters that rejected none left out.
    public static func explanation(rejections: [SchedulingFilter: Int]) -> String {
        let parts = rejections.filter { $0.value > 0 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { $0.key.explain(nodes: $0.value) }
        return parts.isEmpty ? "no suitable node" : "no suitable node (\(parts.joined(separator: "; ")))"
    }
}
