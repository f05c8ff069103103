import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import StarlingModel

/// A typed client of a daemon's Engine API, speaking `/v1.41/...` over a unix socket or TCP.
///
/// It owns an `HTTPClient`, which must be shut down: use `withClient(address:_:)`, or call `shutdown()` once done.
/// Error responses become `StarlingError`s (the status mapped back to a code, Docker's message kept); a daemon that
/// cannot be reached gives "Cannot connect to the Starling daemon at ... Is the starling daemon running?".
public struct EngineClient: Sendable {
    /// The API version put in front of every path.
    public static let apiVersion = StarlingVersion.apiVersion

    public let address: EngineAddress
    /// How long one request may take, from connecting to the end of the response.
    public var requestTimeout: TimeAmount
    let http: HTTPClient

    /// The largest response body read.
    static let maximumResponseSize = 64 << 20

    public init(address: EngineAddress, requestTimeout: TimeAmount = .seconds(60)) {
        self.address = address
        self.requestTimeout = requestTimeout
        var configuration = HTTPClient.Configuration()
        // The HTTP client retries a refused connection until the connect timeout: a local socket either accepts at
        // once or nobody is listening, so waiting long only delays "is the daemon running?".
        if case .unix = address {
            configuration.timeout.connect = .seconds(1)
        } else {
            configuration.timeout.connect = .seconds(5)
        }
        configuration.redirectConfiguration = .disallow
        self.http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    /// Runs `body` with a client for `address` and shuts the client down afterwards, whatever happens.
    public static func withClient<Result>(
        address: EngineAddress, requestTimeout: TimeAmount = .seconds(60),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (EngineClient) async throws -> Result
    ) async throws -> Result {
        let client = EngineClient(address: address, requestTimeout: requestTimeout)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Closes the connections. The client must not be used afterwards.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: Requests

    /// Sends one request and returns the body of a 2xx response; any other status throws the daemon's error.
    /// `path` is unversioned (`/nodes`); `versioned: false` sends it as is (for `/_ping`).
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil,
        versioned: Bool = true
    ) async throws -> (headers: HTTPHeaders, body: ByteBuffer) {
        if case .unix(let socket) = address, !FileManager.default.fileExists(atPath: socket) {
            throw cannotConnect
        }
        var request = HTTPClientRequest(url: try url(versioned ? "/v\(Self.apiVersion)\(path)" : path, query: query))
        request.method = method
        request.headers.add(name: "User-Agent", value: "Starling-Client/\(StarlingVersion.version)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: requestTimeout)
            bytes = try await response.body.collect(upTo: Self.maximumResponseSize)
        } catch {
            throw translate(error)
        }
        guard (200..<300).contains(response.status.code) else {
            throw Self.daemonError(status: response.status, body: bytes)
        }
        return (response.headers, bytes)
    }

    /// Sends a request and decodes its JSON answer.
    func decode<T: Decodable>(
        _ type: T.Type, _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil,
        versioned: Bool = true
    ) async throws -> T {
        let answer = try await send(method, path, query: query, body: body, versioned: versioned).body
        do {
            return try StarlingJSON.decoder().decode(T.self, from: Data(answer.readableBytesView))
        } catch {
            throw StarlingError.internal("cannot decode the daemon's answer to \(method) \(path): \(error)")
        }
    }

    /// Sends a request whose answer has no body worth reading.
    func perform(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Data? = nil) async throws {
        _ = try await send(method, path, query: query, body: body)
    }

    /// A request body: `value` as JSON.
    static func json(_ value: some Encodable) throws -> Data {
        try StarlingJSON.encode(value)
    }

    private func url(_ path: String, query: [(String, String)]) throws -> String {
        let queryText =
            query.isEmpty ? "" : "?" + query.map { "\(Self.escape($0))=\(Self.escape($1))" }.joined(separator: "&")
        switch address {
        case .unix(let socket):
            guard let url = URL(httpURLWithSocketPath: socket, uri: path + queryText) else {
                throw StarlingError.invalidArgument("invalid socket path \(socket)")
            }
            return url.absoluteString
        case .tcp(let host, let port):
            let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            return "http://\(authority)\(path)\(queryText)"
        }
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// Percent-escapes a query component or a path segment.
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    // MARK: Errors

    /// The `StarlingError` for an error response: Docker's `{"message": ...}`, or the raw body if it is not JSON.
    static func daemonError(status: HTTPResponseStatus, body: ByteBuffer) -> StarlingError {
        struct Message: Decodable { var message: String }
        let data = Data(body.readableBytesView)
        let message =
            (try? JSONDecoder().decode(Message.self, from: data).message)
            ?? (data.isEmpty ? status.reasonPhrase : String(decoding: data, as: UTF8.self))
        return StarlingError(code(for: status, message: message), message)
    }

    /// Maps a status back to an error code (the inverse of the server's mapping; 503 cannot tell `invalidState`
    /// from `unavailable`, and 500 is `outOfSequence` only for Docker's "update out of sequence").
    static func code(for status: HTTPResponseStatus, message: String) -> StarlingError.Code {
        switch status.code {
        case 400: .invalidArgument
        case 403: .permissionDenied
        case 404: .notFound
        case 409: .conflict
        case 501: .notImplemented
        case 503: .unavailable
        case 500 where message.contains("update out of sequence"): .outOfSequence
        default: .internal
        }
    }

    /// Turns a failure to reach the daemon into the message users know from Docker.
    private func translate(_ error: any Error) -> any Error {
        if error is StarlingError || error is CancellationError { return error }
        if Self.isPermissionDenied(error) {
            return StarlingError(
                .permissionDenied,
                "permission denied while trying to connect to the Starling daemon at \(address)")
        }
        if Self.isConnectionFailure(error) { return cannotConnect }
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout {
            return StarlingError.unavailable("the Starling daemon at \(address) did not answer in time")
        }
        return StarlingError.unavailable("error talking to the Starling daemon at \(address): \(error)")
    }

    private var cannotConnect: StarlingError {
        .unavailable("Cannot connect to the Starling daemon at \(address). Is the starling daemon running?")
    }

    private static func isPermissionDenied(_ error: any Error) -> Bool {
        (error as? IOError)?.errnoCode == EACCES
    }

    private static func isConnectionFailure(_ error: any Error) -> Bool {
        switch error {
        case is NIOConnectionError: return true
        case let error as IOError: return [ECONNREFUSED, ENOENT, ENOTSOCK, ECONNRESET].contains(error.errnoCode)
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return error == .ioOnClosedChannel
        case let error as HTTPClientError: return error == .connectTimeout || error == .remoteConnectionClosed
        default: return false
        }
    }
}
