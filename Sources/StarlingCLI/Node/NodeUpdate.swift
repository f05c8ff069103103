import ArgumentParser
import StarlingModel

/// `starling node update`: changes a node's labels, availability or role.
struct NodeUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Update a node")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Role of the node (\"worker\", \"manager\")", valueName: "string"))
    var role: String?

    @Option(help: ArgumentHelp("Availability of the node (\"active\", \"pause\", \"drain\")", valueName: "string"))
    var availability: String?

    @Option(help: ArgumentHelp("Add or update a node label (\"key=value\")", valueName: "list"))
    var labelAdd: [String] = []

    @Option(help: ArgumentHelp("Remove a node label if exists", valueName: "list"))
    var labelRm: [String] = []

    @Argument(help: ArgumentHelp("Node ID, name or hostname.", valueName: "NODE"))
    var node: String

    func validate() throws {
        if let role, NodeSpec.Role(rawValue: role) == nil {
            throw ValidationError("invalid role \"\(role)\": expected \"worker\" or \"manager\"")
        }
        if let availability, NodeSpec.Availability(rawValue: availability) == nil {
            throw ValidationError(
                "invalid availability \"\(availability)\": expected \"active\", \"pause\" or \"drain\"")
        }
        let added = Set(labelAdd.map { Self.splitLabel($0).key })
        if let both = labelRm.first(where: added.contains) {
            throw ValidationError("label \"\(both)\" is both added (--label-add) and removed (--label-rm)")
        }
    }

    /// `key=value`, or `key` alone for an empty value (the docker CLI's `ConvertKVStringsToMap`).
    static func splitLabel(_ text: String) -> (key: String, value: String) {
        guard let equals = text.firstIndex(of: "=") else { return (text, "") }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    func run() async throws {
        try await global.withClient { client in
            try await NodeReference.update([node], client: client) { current in
                var spec = current.spec
                if let role { spec.role = NodeSpec.Role(rawValue: role) ?? spec.role }
                if let availability {
                    spec.availability = NodeSpec.Availability(rawValue: availability) ?? spec.availability
                }
                for label in labelAdd {
                    let (key, value) = Self.splitLabel(label)
                    spec.labels[key] = value
                }
                for key in labelRm {
                    guard spec.labels[key] != nil else {
                        throw CommandFailure("key \(key) doesn't exist in node's labels")
                    }
                    spec.labels[key] = nil
                }
                return .update(spec)
            } success: { reference in
                Output.write(reference + "\n")
            }
        }
    }
}
