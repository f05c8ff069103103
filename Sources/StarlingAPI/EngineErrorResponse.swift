import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StarlingModel

/// Turns any error into Docker's error response: a status and `{"message": "..."}` with
/// `Content-Type: application/json`. This is the one place where `StarlingError.Code` becomes an HTTP status.
enum EngineErrorResponse {
    static func status(for code: StarlingError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .conflict: .conflict
        case .invalidArgument: .badRequest
        // Docker answers "This node is already part of a swarm" with 503.
        case .invalidState: .serviceUnavailable
        case .outOfSequence: .internalServerError
        case .unavailable: .serviceUnavailable
        case .permissionDenied: .forbidden
        case .notImplemented: .notImplemented
        case .internal: .internalServerError
        }
    }

    /// The status and message for `error`. Errors that are not `StarlingError`s are Hummingbird's own (routing,
    /// body size) or bugs; the latter become 500s carrying the error's description.
    static func statusAndMessage(for error: any Error) -> (HTTPResponse.Status, String) {
        switch error {
        case let error as StarlingError:
            return (status(for: error.code), error.message)
        case let error as HTTPError:
            if error.status == .notFound { return (.notFound, "page not found") }
            return (error.status, error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError:
            return (error.status, error.status.reasonPhrase)
        default:
            return (.internalServerError, String(describing: error))
        }
    }

    static func response(for error: any Error) -> Response {
        let (status, message) = statusAndMessage(for: error)
        return response(status: status, message: message)
    }

    static func response(status: HTTPResponse.Status, message: String) -> Response {
        struct Body: Encodable { var message: String }
        let data = (try? JSONEncoder().encode(Body(message: message))) ?? Data(#"{"message":"internal error"}"#.utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Catches every error a route (or the router's "not found" responder) throws and answers it the Docker way,
/// logging server-side failures.
struct EngineErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let response = EngineErrorResponse.response(for: error)
            // Errors the backend chose (not found, not a manager, out of sequence...) are answers, not failures;
            // only internal errors and errors that are not `StarlingError`s point at a bug.
            if let error = error as? StarlingError, error.code != .internal {
                context.logger.debug("\(request.method) \(request.uri.path): \(response.status.code) \(error)")
            } else if response.status.kind == .serverError {
                context.logger.error(
                    "\(request.method) \(request.uri.path) failed: \(error)",
                    metadata: ["status": "\(response.status.code)"])
            } else {
                context.logger.debug("\(request.method) \(request.uri.path): \(response.status.code) \(error)")
            }
            return response
        }
    }
}
