import StarlingModel

/// `docker node inspect --pretty`: the docker CLI's template, tabs and all (it is printed without a tab writer).
enum NodePrettyFormatting {
    static func render(_ nodes: [Node]) -> String {
        nodes.map { render($0) + "\n" }.joined()
    }

    static func render(_ node: Node) -> String {
        let description = node.description ?? NodeDescription()
        var lines = ["ID:\t\t\t\(node.id)"]
        if let name = node.spec.name, !name.isEmpty { lines.append("Name:\t\t\t\(name)") }
        if !node.spec.labels.isEmpty {
            lines.append("Labels:")
            lines += labelLines(node.spec.labels)
        }
        lines.append("Hostname:              \t\(description.hostname ?? "")")
        lines.append("Joined at:             \t\(GoText.prettyPrint(GoText.timeString(node.createdAt)))")
        lines.append("Status:")
        lines.append(" State:\t\t\t\(GoText.prettyPrint(node.status.state.rawValue))")
        if let message = node.status.message, !message.isEmpty {
            lines.append(" Message:              \t\(GoText.prettyPrint(message))")
        }
        lines.append(" Availability:         \t\(GoText.prettyPrint(node.spec.availability.rawValue))")
        if let addr = node.status.addr, !addr.isEmpty { lines.append(" Address:\t\t\(addr)") }
        if let manager = node.managerStatus {
            lines.append("Manager Status:")
            lines.append(" Address:\t\t\(manager.addr)")
            lines.append(" Raft Status:\t\t\(GoText.prettyPrint(manager.reachability.rawValue))")
            lines.append(" Leader:\t\t\(manager.leader == true ? "Yes" : "No")")
        }
        lines.append("Platform:")
        lines.append(" Operating System:\t\(description.platform?.os ?? "")")
        lines.append(" Architecture:\t\t\(description.platform?.architecture ?? "")")
        lines.append("Resources:")
        lines.append(" CPUs:\t\t\t\((description.resources?.nanoCPUs ?? 0) / 1_000_000_000)")
        let memory = description.resources?.memoryBytes ?? 0
        lines.append(" Memory:\t\t\(memory == 0 ? "" : GoText.bytesSize(Double(memory)))")
        let plugins = description.engine?.plugins ?? []
        if !plugins.isEmpty {
            lines.append("Plugins:")
            var byType: [String: [String]] = [:]
            for plugin in plugins { byType[plugin.type, default: []].append(plugin.name) }
            for type in byType.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }) {
                let names = byType[type, default: []].joined(separator: ", ")
                lines.append(" \(type):" + (names.isEmpty ? "" : "\t\t\(names)"))
            }
        }
        lines.append("Engine Version:\t\t\(description.engine?.engineVersion ?? "")")
        if let labels = description.engine?.labels, !labels.isEmpty {
            lines.append("Engine Labels:")
            lines += labelLines(labels)
        }
        if let tls = description.tlsInfo,
            !(tls.trustRoot ?? "").isEmpty || !(tls.certIssuerSubject ?? "").isEmpty
                || !(tls.certIssuerPublicKey ?? "").isEmpty
        {
            lines.append("TLS Info:")
            lines.append(" TrustRoot:")
            lines.append(tls.trustRoot ?? "")
            lines.append(" Issuer Subject:\t\(GoText.standardBase64(tls.certIssuerSubject ?? ""))")
            lines.append(" Issuer Public Key:\t\(GoText.standardBase64(tls.certIssuerPublicKey ?? ""))")
        }
        return lines.joined(separator: "\n")
    }

    /// ` - key=value`, or ` - key` for an empty value, keys in Go's (byte) order.
    private static func labelLines(_ labels: [String: String]) -> [String] {
        labels.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }).map { key in
            let value = labels[key] ?? ""
            return " - \(key)" + (value.isEmpty ? "" : "=\(value)")
        }
    }
}
