import GRPCCore
import StarlingModel
import StarlingPKI

// Errors cross the control plane as gRPC status codes. A `StarlingError` thrown by a handler keeps its exact code
// and message on the way (the code travels in metadata), so the caller sees what the remote side said; other
// failures are reported the way Go's gRPC prints them ("rpc error: code = Unavailable desc = ..."), which is what
// Docker users see when a manager is unreachable.

/// The metadata key that carries a `StarlingError.Code` with an RPC error.
let starlingErrorCodeKey = "starling-error-code"

extension RPCError {
    /// The RPC error a handler's `StarlingError` becomes.
    public init(_ error: StarlingError) {
        let code: RPCError.Code =
            switch error.code {
            case .notFound: .notFound
            case .conflict: .alreadyExists
            case .invalidArgument: .invalidArgument
            case .invalidState: .failedPrecondition
            case .outOfSequence: .aborted
            case .permissionDenied: .permissionDenied
            case .unavailable: .unavailable
            case .notImplemented: .unimplemented
            case .internal: .internalError
            }
        var metadata = Metadata()
        metadata.addString(error.code.rawValue, forKey: starlingErrorCodeKey)
        self.init(code: code, message: error.message, metadata: metadata)
    }

    /// The RPC error for anything a handler throws: RPC errors pass through; Starling, PKI and join token errors
    /// keep their meaning; anything else is an internal error that names itself.
    static func converting(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError: error
        case let error as StarlingError: RPCError(error)
        case let error as JoinTokenError: RPCError(StarlingError.invalidArgument(error.description))
        case let error as PKIError: RPCError(StarlingError(error))
        case is CancellationError: RPCError(code: .cancelled, message: "the call was cancelled")
        default: RPCError(code: .internalError, message: "\(error)")
        }
    }

    /// The code as Go's gRPC names it.
    var goName: String {
        switch code {
        case .cancelled: "Canceled"
        case .invalidArgument: "InvalidArgument"
        case .deadlineExceeded: "DeadlineExceeded"
        case .notFound: "NotFound"
        case .alreadyExists: "AlreadyExists"
        case .permissionDenied: "PermissionDenied"
        case .resourceExhausted: "ResourceExhausted"
        case .failedPrecondition: "FailedPrecondition"
        case .aborted: "Aborted"
        case .outOfRange: "OutOfRange"
        case .unimplemented: "Unimplemented"
        case .internalError: "Internal"
        case .unavailable: "Unavailable"
        case .dataLoss: "DataLoss"
        case .unauthenticated: "Unauthenticated"
        default: "Unknown"
        }
    }
}

extension StarlingError {
    /// What a caller sees for a failed RPC: the remote `StarlingError` itself when there was one, otherwise the
    /// gRPC status classified by code, with Go's wording.
    public init(_ error: RPCError) {
        if let raw = Array(error.metadata[stringValues: starlingErrorCodeKey]).first,
            let code = StarlingError.Code(rawValue: raw)
        {
            self.init(code, error.message)
            return
        }
        let code: StarlingError.Code =
            switch error.code {
            case .invalidArgument, .outOfRange: .invalidArgument
            case .notFound: .notFound
            case .alreadyExists, .aborted: .conflict
            case .failedPrecondition: .invalidState
            case .permissionDenied, .unauthenticated: .permissionDenied
            case .unavailable, .deadlineExceeded, .cancelled, .resourceExhausted: .unavailable
            case .unimplemented: .notImplemented
            default: .internal
            }
        self.init(code, "rpc error: code = \(error.goName) desc = \(error.message)")
    }

    /// A PKI failure as a `StarlingError`: untrusted, expired or foreign credentials are a permission problem;
    /// malformed input is an invalid argument.
    public init(_ error: PKIError) {
        switch error {
        case .untrusted, .expired, .notYetValid: self.init(.permissionDenied, error.description)
        case .invalidPEM, .invalidCertificate, .invalidSigningRequest, .invalidArgument:
            self.init(.invalidArgument, error.description)
        case .noSigningKey: self.init(.unavailable, error.description)
        case .io: self.init(.internal, error.description)
        }
    }

    /// Any error from a client call as a `StarlingError`.
    static func converting(_ error: any Error) -> StarlingError {
        switch error {
        case let error as StarlingError: error
        case let error as RPCError: StarlingError(error)
        case let error as PKIError: StarlingError(error)
        case let error as JoinTokenError: StarlingError.invalidArgument(error.description)
        case let error as RuntimeError:
            StarlingError.unavailable("rpc error: code = Unavailable desc = \(error.message)")
        default: StarlingError.internal("\(error)")
        }
    }
}

/// Runs a client call, reporting every failure as a `StarlingError`.
func mappingErrors<Result>(_ body: () async throws -> Result) async throws(StarlingError) -> Result {
    do {
        return try await body()
    } catch {
        throw StarlingError.converting(error)
    }
}

/// Runs a handler, reporting every failure as an `RPCError` the client can map back.
func reportingErrors<Result>(_ body: () async throws -> Result) async throws(RPCError) -> Result {
    do {
        return try await body()
    } catch {
        throw RPCError.converting(error)
    }
}
