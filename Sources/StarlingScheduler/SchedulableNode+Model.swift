import StarlingModel

extension SchedulableNode {
    /// The scheduler's view of a stored node: identity, role, availability and labels from its spec, hostname,
    /// platform, engine labels and resources from what its agent reported, state from its status. `runtimes` and
    /// `committed` come from elsewhere (the agent's description of its executors, the node's tasks).
    public init(_ node: Node, runtimes: [String], committed: CommittedLoad = .init()) {
        let description = node.description
        var resources = ResourceAmounts(
            nanoCPUs: description?.resources?.nanoCPUs ?? 0, memoryBytes: description?.resources?.memoryBytes ?? 0)
        for generic in description?.resources?.genericResources ?? [] {
            switch generic {
            case .discrete(let kind, let value): resources.discrete[kind, default: 0] += value
            case .named(let kind, let value): resources.named[kind, default: []].insert(value)
            }
        }
        self.init(
            id: node.id, hostname: description?.hostname ?? "", role: node.spec.role,
            availability: node.spec.availability, state: node.status.state,
            platform: TargetPlatform(
                os: description?.platform?.os ?? "", architecture: description?.platform?.architecture ?? ""),
            labels: node.spec.labels, engineLabels: description?.engine?.labels ?? [:], resources: resources,
            runtimes: runtimes, committed: committed)
    }
}
