import Foundation
import StarlingModel

/// `node ls`, `node inspect` and `node inspect --pretty` output, as the docker CLI prints them.
enum NodeFormatting {
    /// `docker node ls`: nodes sorted by hostname in natural order, `*` after the ID of the node the command talks
    /// to, through the docker CLI's tab writer. `quiet` prints the IDs only.
    static func table(_ nodes: [Node], selfID: String, quiet: Bool = false) -> String {
        let sorted = sortedByHostname(nodes)
        if quiet { return sorted.map { $0.id + "\n" }.joined() }
        var text = "ID  \tHOSTNAME\tSTATUS\tAVAILABILITY\tMANAGER STATUS\tENGINE VERSION\n"
        for node in sorted {
            let columns = [
                "\(node.id) \(node.id == selfID ? "*" : " ")", node.description?.hostname ?? "",
                GoText.prettyPrint(node.status.state.rawValue), GoText.prettyPrint(node.spec.availability.rawValue),
                managerStatus(node), node.description?.engine?.engineVersion ?? "",
            ]
            text += columns.joined(separator: "\t") + "\n"
        }
        return TabWriter.table.format(text)
    }

    static func sortedByHostname(_ nodes: [Node]) -> [Node] {
        // A stable sort: Go's is not, so nodes with equal hostnames may come out in another order there.
        nodes.enumerated().sorted { left, right in
            let (a, b) = (left.element.description?.hostname ?? "", right.element.description?.hostname ?? "")
            if GoText.naturalLess(a, b) { return true }
            if GoText.naturalLess(b, a) { return false }
            return left.offset < right.offset
        }.map(\.element)
    }

    /// `Leader`, or the reachability of a manager; empty for a worker.
    static func managerStatus(_ node: Node) -> String {
        guard let status = node.managerStatus else { return "" }
        return GoText.prettyPrint(status.leader == true ? "Leader" : status.reachability.rawValue)
    }

    // MARK: Inspect

    /// `docker node inspect`: a JSON array indented by four spaces, each node laid out as Go's `swarm.Node`.
    static func json(_ nodes: [Node]) -> String {
        GoJSON.array(nodes.map(goValue)).indented() + "\n"
    }

    /// A node as the docker CLI re-encodes it: Go's field order and `omitempty` rules (structs always present).
    static func goValue(_ node: Node) -> GoJSON {
        var members: [(String, GoJSON)] = [("ID", .string(node.id))]
        members.append(("Version", .object(node.version.index == 0 ? [] : [("Index", .int(node.version.index))])))
        members.append(("CreatedAt", .string(RFC3339.format(node.createdAt))))
        members.append(("UpdatedAt", .string(RFC3339.format(node.updatedAt))))
        var spec: [(String, GoJSON)] = []
        if let name = node.spec.name, !name.isEmpty { spec.append(("Name", .string(name))) }
        spec.append(("Labels", .map(node.spec.labels)))
        spec.append(("Role", .string(node.spec.role.rawValue)))
        spec.append(("Availability", .string(node.spec.availability.rawValue)))
        members.append(("Spec", .object(spec)))
        members.append(("Description", description(node.description ?? NodeDescription())))
        var status: [(String, GoJSON)] = [("State", .string(node.status.state.rawValue))]
        if let message = node.status.message, !message.isEmpty { status.append(("Message", .string(message))) }
        if let addr = node.status.addr, !addr.isEmpty { status.append(("Addr", .string(addr))) }
        members.append(("Status", .object(status)))
        if let manager = node.managerStatus {
            var value: [(String, GoJSON)] = []
            if manager.leader == true { value.append(("Leader", .bool(true))) }
            value.append(("Reachability", .string(manager.reachability.rawValue)))
            if !manager.addr.isEmpty { value.append(("Addr", .string(manager.addr))) }
            members.append(("ManagerStatus", .object(value)))
        }
        return .object(members)
    }

    private static func description(_ description: NodeDescription) -> GoJSON {
        var members: [(String, GoJSON)] = []
        if let hostname = description.hostname, !hostname.isEmpty { members.append(("Hostname", .string(hostname))) }
        var platform: [(String, GoJSON)] = []
        if let architecture = description.platform?.architecture, !architecture.isEmpty {
            platform.append(("Architecture", .string(architecture)))
        }
        if let os = description.platform?.os, !os.isEmpty { platform.append(("OS", .string(os))) }
        members.append(("Platform", .object(platform)))
        members.append(("Resources", resources(description.resources ?? Resources())))
        var engine: [(String, GoJSON)] = []
        if let version = description.engine?.engineVersion, !version.isEmpty {
            engine.append(("EngineVersion", .string(version)))
        }
        if let labels = description.engine?.labels, !labels.isEmpty { engine.append(("Labels", .map(labels))) }
        if let plugins = description.engine?.plugins, !plugins.isEmpty {
            engine.append(
                ("Plugins", .array(plugins.map { .object([("Type", .string($0.type)), ("Name", .string($0.name))]) })))
        }
        members.append(("Engine", .object(engine)))
        var tls: [(String, GoJSON)] = []
        if let root = description.tlsInfo?.trustRoot, !root.isEmpty { tls.append(("TrustRoot", .string(root))) }
        if let subject = description.tlsInfo?.certIssuerSubject, !subject.isEmpty {
            tls.append(("CertIssuerSubject", .string(GoText.standardBase64(subject))))
        }
        if let key = description.tlsInfo?.certIssuerPublicKey, !key.isEmpty {
            tls.append(("CertIssuerPublicKey", .string(GoText.standardBase64(key))))
        }
        members.append(("TLSInfo", .object(tls)))
        return .object(members)
    }

    private static func resources(_ resources: Resources) -> GoJSON {
        var members: [(String, GoJSON)] = []
        if let cpus = resources.nanoCPUs, cpus != 0 { members.append(("NanoCPUs", .int(cpus))) }
        if let memory = resources.memoryBytes, memory != 0 { members.append(("MemoryBytes", .int(memory))) }
        if let generic = resources.genericResources, !generic.isEmpty {
            members.append(("GenericResources", .array(generic.map(genericResource))))
        }
        return .object(members)
    }

    private static func genericResource(_ resource: GenericResource) -> GoJSON {
        switch resource {
        case .named(let kind, let value):
            var spec: [(String, GoJSON)] = []
            if !kind.isEmpty { spec.append(("Kind", .string(kind))) }
            if !value.isEmpty { spec.append(("Value", .string(value))) }
            return .object([("NamedResourceSpec", .object(spec))])
        case .discrete(let kind, let value):
            var spec: [(String, GoJSON)] = []
            if !kind.isEmpty { spec.append(("Kind", .string(kind))) }
            if value != 0 { spec.append(("Value", .int(value))) }
            return .object([("DiscreteResourceSpec", .object(spec))])
        }
    }
}
