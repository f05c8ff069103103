import ArgumentParser
import Foundation
import StarlingModel

/// `starling`: the daemon (`starling daemon`) and the client commands that talk to a daemon's Engine API, with
/// the docker CLI's wording and output.
public struct StarlingCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "starling",
        abstract: "A container orchestrator that speaks the Docker Swarm API.",
        discussion: """
            Client commands talk to the daemon at -H/--host (given before or after the subcommand), else at \
            $STARLING_HOST, else at a unix:// $DOCKER_HOST, else at unix:///run/starling/starling.sock.
            """,
        version: StarlingVersion.version,
        subcommands: [
            SwarmCommand.self, NodeCommand.self, ServiceCommand.self, InfoCommand.self, VersionCommand.self,
            DaemonCommand.self, DevCommand.self,
        ]
    )

    public init() {}

    /// Parses the command line, runs the command and exits: 0 on success, 1 with the error on standard error (in
    /// the docker CLI's words) on failure, and ArgumentParser's message and usage for a bad command line.
    public static func run(arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(movingHostOption(arguments ?? Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let failure as CommandFailure {
            Output.error(failure.message)
            Foundation.exit(failure.exitCode)
        } catch let error as StarlingError {
            Output.error(CommandFailure(error).message)
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

extension StarlingCommand {
    /// `starling -H x node ls` as `starling node ls -H x`: the docker CLI takes `-H` before the subcommand, and
    /// every Starling command that talks to a daemon takes it as its own option (a root-level option of the same
    /// name would shadow the daemon's own `-H`).
    static func movingHostOption(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if first == "-H" || first == "--host", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--host=") || (first.hasPrefix("-H") && first.count > 2) {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var moved = Array(rest)
        // Right after the subcommand names: an option after a command's first positional argument may belong to
        // that command's own command line (`service create IMAGE sh -c ...`).
        let end = min(moved.firstIndex(of: "--") ?? moved.endIndex, subcommandPathLength(moved))
        moved.insert(contentsOf: leading, at: end)
        return moved
    }

    /// How many of the leading arguments name subcommands (`service create` → 2).
    static func subcommandPathLength(_ arguments: [String]) -> Int {
        var command: any ParsableCommand.Type = StarlingCommand.self
        var length = 0
        while length < arguments.count,
            let next = command.configuration.subcommands.first(where: {
                $0._commandName == arguments[length] || $0.configuration.aliases.contains(arguments[length])
            })
        {
            command = next
            length += 1
        }
        return length
    }
}

/// A command that failed: its message is printed as is on standard error, and the process exits with `exitCode`.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32 = 1

    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    /// An error from a client call, worded as the docker CLI words it: what the daemon answered is prefixed with
    /// "Error response from daemon: "; failing to reach the daemon ("Cannot connect to the Starling daemon at ...")
    /// is not.
    init(_ error: StarlingError) {
        message = Self.isTransportError(error) ? error.message : "Error response from daemon: \(error.message)"
    }

    /// One failure per line, for commands that carry on after an error (`node rm a b`, `node inspect a b`).
    init(_ errors: [any Error]) {
        message = errors.map(Self.message).joined(separator: "\n")
    }

    static func message(_ error: any Error) -> String {
        switch error {
        case let failure as CommandFailure: failure.message
        case let error as StarlingError: CommandFailure(error).message
        default: "\(error)"
        }
    }

    var description: String { message }

    /// `EngineClient` reports both the daemon's answers and its own failures to reach the daemon as
    /// `StarlingError`s; the latter are recognised by their wording.
    private static func isTransportError(_ error: StarlingError) -> Bool {
        let prefixes = [
            "Cannot connect to the Starling daemon", "permission denied while trying to connect",
            "the Starling daemon at", "error talking to the Starling daemon", "cannot decode the daemon's answer",
            "invalid socket path", "invalid daemon address",
        ]
        return prefixes.contains { error.message.hasPrefix($0) }
    }
}

/// Where commands write.
enum Output {
    /// Writes `text` as is to standard output.
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes `text` and a newline (or `terminator`) to standard error.
    static func error(_ text: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((text + terminator).utf8))
    }
}
