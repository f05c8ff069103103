import StarlingModel

/// The rules a node change must follow, checked before anything is written. Messages are Docker's.
public enum NodeRules {
    /// Checks a new spec for `node` against the cluster's nodes.
    public static func validateUpdate(of node: Node, to spec: NodeSpec, in nodes: [Node]) throws {
        for key in spec.labels.keys where key.isEmpty {
            throw StarlingError.invalidArgument("invalid label: label key must not be empty")
        }
        if node.spec.role == .manager, spec.role == .worker {
            let managers = nodes.filter { $0.spec.role == .manager }
            if managers.count <= 1 {
                throw StarlingError(
                    .invalidState,
                    "rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm")
            }
        }
    }

    /// Checks that `node` may be removed. `force` removes a node that is not down, as Docker does; a manager must
    /// be demoted first.
    public static func validateRemoval(of node: Node, force: Bool) throws {
        if node.spec.role == .manager || node.managerStatus != nil {
            throw StarlingError(
                .invalidState,
                "rpc error: code = FailedPrecondition desc = node \(node.id) is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal"
            )
        }
        if !force, node.status.state != .down {
            throw StarlingError(
                .invalidState,
                "rpc error: code = FailedPrecondition desc = node \(node.id) is not down and can't be removed")
        }
    }

    /// Applies Docker's node filters (`id`, `label` (engine labels), `node.label`, `membership`, `name`, `role`).
    public static func filter(_ nodes: [Node], by filters: Filters) throws -> [Node] {
        try filters.validate(allowed: ["id", "label", "node.label", "membership", "name", "role"])
        return nodes.filter { node in
            filters.matches("id") { node.id.hasPrefix($0) }
                && filters.matches("name") { name in
                    (node.spec.name ?? "").hasPrefix(name) || (node.description?.hostname ?? "").hasPrefix(name)
                }
                && filters.matches("role") { $0 == node.spec.role.rawValue }
                && filters.matches("membership") { $0 == "accepted" }
                && filters.matchesLabels("label", node.description?.engine?.labels ?? [:])
                && filters.matchesLabels("node.label", node.spec.labels)
        }
    }
}
