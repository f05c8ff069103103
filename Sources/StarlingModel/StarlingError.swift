/// The one error type that crosses module boundaries. The HTTP layer maps `code` to a status in one place
/// (`notFound` → 404, `conflict` → 409, `invalidArgument` → 400, `unavailable` → 503, `outOfSequence` and
/// `internal` → 500), and `message` is what the user reads, in Docker's wording where Docker has one.
public struct StarlingError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, Codable {
        case notFound
        case conflict
        case invalidArgument
        /// The operation does not fit the current state (e.g. "This node is already part of a swarm").
        case invalidState
        /// An optimistic `?version=` check failed.
        case outOfSequence
        case permissionDenied
        case unavailable
        case notImplemented
        case `internal`
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func notFound(_ message: String) -> StarlingError { .init(.notFound, message) }
    public static func conflict(_ message: String) -> StarlingError { .init(.conflict, message) }
    public static func invalidArgument(_ message: String) -> StarlingError { .init(.invalidArgument, message) }
    public static func invalidState(_ message: String) -> StarlingError { .init(.invalidState, message) }
    public static func unavailable(_ message: String) -> StarlingError { .init(.unavailable, message) }
    public static func `internal`(_ message: String) -> StarlingError { .init(.internal, message) }

    /// Docker's answer to a stale `?version=`.
    public static let outOfSequence = StarlingError(
        .outOfSequence, "rpc error: code = Unknown desc = update out of sequence")

    /// Docker's answer to a swarm call on a node that is not a manager.
    public static let notAManager = StarlingError(
        .unavailable,
        "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager."
    )

    /// Docker's answer to a swarm call on a node outside any swarm.
    public static let notInSwarm = StarlingError(
        .unavailable,
        "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."
    )
}
