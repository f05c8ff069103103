import StarlingModel

/// A spread preference's descriptor: the label whose values tasks are spread evenly across. As in SwarmKit, only
/// `node.labels.<label>` and `engine.labels.<label>` are supported (prefix case-insensitive, label name
/// case-sensitive); a node without the label has the value "" and so forms a group of its own.
public enum SpreadDescriptor: Hashable, Sendable, CustomStringConvertible {
    case nodeLabel(String)
    case engineLabel(String)

    /// The descriptor `text` names, or nil when the scheduler does not support it (SwarmKit ignores those).
    public init?(_ text: String) {
        let text = trimmed(text[...])
        if let name = PlacementConstraint.labelName(text, prefix: PlacementConstraint.nodeLabelPrefix) {
            self = .nodeLabel(name)
        } else if let name = PlacementConstraint.labelName(text, prefix: PlacementConstraint.engineLabelPrefix) {
            self = .engineLabel(name)
        } else {
            return nil
        }
    }

    /// For validation at the API: like `init?`, but an unsupported descriptor is an `invalidArgument` error naming
    /// it. (Docker accepts and ignores them; call this only where rejecting them is wanted.)
    public static func parse(_ text: String) throws(StarlingError) -> SpreadDescriptor {
        guard let descriptor = SpreadDescriptor(text) else {
            throw .invalidArgument(
                "invalid spread descriptor \"\(text)\": use node.labels.<label> or engine.labels.<label>")
        }
        return descriptor
    }

    /// The node's value for this descriptor; "" when the node lacks the label.
    public func value(of node: SchedulableNode) -> String {
        switch self {
        case .nodeLabel(let name): node.labels[name] ?? ""
        case .engineLabel(let name): node.engineLabels[name] ?? ""
        }
    }

    public var description: String {
        switch self {
        case .nodeLabel(let name): PlacementConstraint.nodeLabelPrefix + name
        case .engineLabel(let name): PlacementConstraint.engineLabelPrefix + name
        }
    }
}
