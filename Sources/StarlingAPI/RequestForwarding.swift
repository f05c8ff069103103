import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A request as it arrived, for a daemon that answers it elsewhere: a manager that does not hold the cluster
/// store passes cluster calls to the one that does, as a Docker manager passes them to the Raft leader.
public struct ForwardedRequest: Sendable, Hashable {
    public var method: String
    /// The path as the client sent it, version prefix and query included (`/v1.41/nodes?filters=...`).
    public var path: String
    /// The path without its version prefix and query (`/nodes`), for deciding whether to forward.
    public var route: String
    public var headers: [HTTPHeaderField]
    public var body: Data

    public init(method: String, path: String, route: String, headers: [HTTPHeaderField], body: Data) {
        self.method = method
        self.path = path
        self.route = route
        self.headers = headers
        self.body = body
    }
}

/// A header line of a forwarded request or response.
public struct HTTPHeaderField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The answer to a forwarded request.
public struct ForwardedResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [HTTPHeaderField]
    public var body: Data

    public init(status: Int, headers: [HTTPHeaderField], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Decides, per request, whether another daemon answers it.
public protocol RequestForwarder: Sendable {
    /// Whether a request for `route` (unversioned, no query) goes elsewhere right now.
    func shouldForward(method: String, route: String) async -> Bool
    /// Answers a request elsewhere. Errors are `StarlingError`s and answered here as usual.
    func forward(_ request: ForwardedRequest) async throws -> ForwardedResponse
}

extension EngineResponder {
    /// Forwards `request` if `forwarder` wants it; nil to answer it here.
    static func forwarded(
        _ request: Request, route: String, through forwarder: any RequestForwarder
    ) async throws -> Response? {
        let method = request.method.rawValue
        guard await forwarder.shouldForward(method: method, route: route) else { return nil }
        let body = try await request.body.collect(upTo: 64 * 1024 * 1024)
        let forwarded = ForwardedRequest(
            method: method, path: request.head.path ?? "/", route: route,
            headers: request.headers.map { HTTPHeaderField(name: $0.name.rawName, value: $0.value) },
            body: Data(body.readableBytesView))
        let answer = try await forwarder.forward(forwarded)
        var headers = HTTPFields()
        for field in answer.headers {
            guard let name = HTTPField.Name(field.name), !Self.hopByHop.contains(name) else { continue }
            headers.append(HTTPField(name: name, value: field.value))
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// Headers that describe one connection, not the message: never copied from a forwarded answer.
    static let hopByHop: Set<HTTPField.Name> = [.connection, .transferEncoding, .contentLength]
}
