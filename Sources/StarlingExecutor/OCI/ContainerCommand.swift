import StarlingImage
import StarlingModel

/// What a container runs, in which environment, where and as whom, decided from the task's `ContainerSpec` and the
/// image's defaults by Docker's rules (SwarmKit's container config, then dockerd's merge with the image config).
public struct ContainerCommand: Sendable, Equatable {
    /// The argument vector: entrypoint then command.
    public var args: [String]
    /// `KEY=value` entries, each key once.
    public var environment: [String]
    /// An absolute, clean path.
    public var workingDirectory: String
    /// `ContainerSpec.User`, else the image's `User`; empty means root. Resolved later in the root file system.
    public var user: String

    public init(args: [String], environment: [String], workingDirectory: String, user: String) {
        self.args = args
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.user = user
    }

    /// Docker's `PATH` when neither the image nor the task sets one.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Applies Docker's rules:
    /// - `Command` replaces the image's `Entrypoint` and then the image's `Cmd` is dropped (`Args` follow
    ///   `Command`); `Args` alone replace the image's `Cmd` and keep its `Entrypoint`. Nothing left to run is
    ///   Docker's "no command specified".
    /// - The environment is the task's variables plus the image's whose keys the task does not set (dockerd's
    ///   merge at create), laid over `PATH` (Docker's default), `HOSTNAME` and, with a TTY, `TERM=xterm`: a variable
    ///   replaces one of the same key where it stands, or is appended; a task entry without `=` unsets the key.
    /// - The working directory is the task's `Dir`, else the image's `WorkingDir`, else `/`; the task's must be
    ///   absolute.
    public static func resolve(
        _ spec: ContainerSpec, image: ContainerDefaults?, hostname: String?
    ) throws(StarlingError) -> ContainerCommand {
        ContainerCommand(
            args: try arguments(spec, image: image),
            environment: environment(spec, image: image, hostname: hostname),
            workingDirectory: try workingDirectory(spec, image: image),
            user: nonEmpty(spec.user) ?? nonEmpty(image?.user) ?? "")
    }

    static func arguments(_ spec: ContainerSpec, image: ContainerDefaults?) throws(StarlingError) -> [String] {
        let command = spec.command ?? []
        let args = spec.args ?? []
        let result: [String]
        if !command.isEmpty {
            result = command + args
        } else if !args.isEmpty {
            result = (image?.entrypoint ?? []) + args
        } else {
            result = (image?.entrypoint ?? []) + (image?.cmd ?? [])
        }
        guard !result.isEmpty else { throw .invalidArgument("no command specified") }
        return result
    }

    static func environment(_ spec: ContainerSpec, image: ContainerDefaults?, hostname: String?) -> [String] {
        var base = ["PATH=" + defaultPath]
        if let hostname, !hostname.isEmpty { base.append("HOSTNAME=" + hostname) }
        if spec.tty == true { base.append("TERM=xterm") }
        let taskEnvironment = spec.env ?? []
        let taskKeys = Set(taskEnvironment.map(key))
        let merged = taskEnvironment + (image?.env ?? []).filter { !taskKeys.contains(key($0)) }
        return replaceOrAppend(base, merged)
    }

    /// dockerd's `ReplaceOrAppendEnvValues`: an override replaces the entry of the same key where it stands, or is
    /// appended; an override without `=` removes the key.
    static func replaceOrAppend(_ defaults: [String], _ overrides: [String]) -> [String] {
        var result: [String?] = defaults
        var index: [Substring: Int] = [:]
        for (position, entry) in defaults.enumerated() { index[key(entry)] = position }
        for entry in overrides {
            let name = key(entry)
            if !entry.contains("=") {
                if let position = index.removeValue(forKey: name) { result[position] = nil }
            } else if let position = index[name] {
                result[position] = entry
            } else {
                index[name] = result.count
                result.append(entry)
            }
        }
        return result.compactMap { $0 }
    }

    private static func key(_ entry: String) -> Substring {
        entry.firstIndex(of: "=").map { entry[..<$0] } ?? Substring(entry)
    }

    static func workingDirectory(_ spec: ContainerSpec, image: ContainerDefaults?) throws(StarlingError) -> String {
        if let directory = nonEmpty(spec.dir) {
            guard directory.hasPrefix("/") else {
                throw .invalidArgument(
                    "the working directory '\(directory)' is invalid, it needs to be an absolute path")
            }
            return clean(directory)
        }
        if let directory = nonEmpty(image?.workingDir) { return clean("/" + directory) }
        return "/"
    }

    /// Go's `filepath.Clean` for an absolute path: no empty, `.` or `..` components.
    static func clean(_ path: String) -> String {
        var parts: [Substring] = []
        for component in path.split(separator: "/") where component != "." {
            if component == ".." {
                _ = parts.popLast()
            } else {
                parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
