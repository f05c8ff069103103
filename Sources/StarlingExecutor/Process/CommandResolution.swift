import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the executable of a command line before anything starts, so a wrong command fails `start` with Docker's
/// message instead of becoming an exit code, and completes the environment as Docker does.
enum CommandResolution {
    /// Docker's `PATH` for a task that sets none.
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The absolute path `name` runs: itself when it holds a slash (relative to `workingDirectory`), else the first
    /// executable file of that name on the task's `PATH`.
    static func executable(_ name: String, environment: [String], workingDirectory: String) throws -> String {
        guard !name.isEmpty else {
            throw StarlingError.invalidArgument("exec: \"\": executable file not found in $PATH")
        }
        if name.contains("/") {
            let path = name.hasPrefix("/") ? name : workingDirectory + "/" + name
            guard isExecutableFile(path) else {
                let reason = access(path, F_OK) == 0 ? "permission denied" : "no such file or directory"
                throw StarlingError.invalidArgument("exec: \"\(name)\": stat \(path): \(reason)")
            }
            return path
        }
        let searchPath = value(of: "PATH", in: environment) ?? defaultPath
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let base = directory.isEmpty ? workingDirectory : String(directory)
            let candidate = (base.hasPrefix("/") ? base : workingDirectory + "/" + base) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        throw StarlingError.invalidArgument("exec: \"\(name)\": executable file not found in $PATH")
    }

    /// The task's variables plus Docker's defaults for what it leaves out: `PATH`, and `HOME` from the account.
    static func environment(_ variables: [String], home: String?) -> [String] {
        var result = variables
        if value(of: "PATH", in: variables) == nil { result.append("PATH=" + defaultPath) }
        if value(of: "HOME", in: variables) == nil { result.append("HOME=" + (home ?? "/")) }
        return result
    }

    /// The value of the last `name=` entry.
    static func value(of name: String, in environment: [String]) -> String? {
        let prefix = name + "="
        return environment.last { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
