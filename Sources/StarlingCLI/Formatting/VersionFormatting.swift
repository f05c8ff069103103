import StarlingModel

/// `docker version`'s text, through its tab writer (minimum width 20, padding 1). The Client section describes
/// the `starling` binary; the Server section is what the docker CLI prints for the same `GET /version`.
enum VersionFormatting {
    struct Client {
        var version: String
        var apiVersion: String
        var os: String
        var arch: String
        var context: String = "default"
    }

    static func render(client: Client, server: SystemVersion?) -> String {
        var text = "Client:\n"
        text += " Version:\t\(client.version)\n"
        text += " API version:\t\(client.apiVersion)\n"
        text += " OS/Arch:\t\(client.os)/\(client.arch)\n"
        text += " Context:\t\(client.context)"
        if let server { text += serverSection(server) }
        return TabWriter(minWidth: 20, padding: 1).format(text + "\n")
    }

    /// The docker CLI's template from `\n\nServer:` on; a version without an `Engine` component gets one made of
    /// its top-level fields, as the docker CLI makes it.
    static func serverSection(_ version: SystemVersion) -> String {
        var components = version.components
        if !components.contains(where: { $0.name == "Engine" }) {
            components.append(
                .init(
                    name: "Engine", version: version.version,
                    details: [
                        "ApiVersion": version.apiVersion, "MinAPIVersion": version.minAPIVersion,
                        "GitCommit": version.gitCommit, "GoVersion": version.goVersion, "Os": version.os,
                        "Arch": version.arch, "BuildTime": version.buildTime,
                        "Experimental": String(version.experimental ?? false),
                    ]))
        }
        var text = "\n\nServer:" + (version.platform.name.isEmpty ? "" : " \(version.platform.name)")
        for component in components {
            let details = component.details ?? [:]
            text += "\n \(component.name):"
            if component.name == "Engine" {
                text += "\n  Version:\t\(component.version)"
                text +=
                    "\n  API version:\t\(details["ApiVersion"] ?? "") (minimum version \(details["MinAPIVersion"] ?? ""))"
                text += "\n  Go version:\t\(details["GoVersion"] ?? "")"
                text += "\n  Git commit:\t\(details["GitCommit"] ?? "")"
                text += "\n  Built:\t\(GoText.ansic(details["BuildTime"] ?? ""))"
                text += "\n  OS/Arch:\t\(details["Os"] ?? "")/\(details["Arch"] ?? "")"
                text += "\n  Experimental:\t\(details["Experimental"] ?? "")"
            } else {
                text += "\n  Version:\t\(component.version)"
                for key in details.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }) {
                    text += "\n  \(key):\t\(details[key] ?? "")"
                }
            }
        }
        return text
    }
}
