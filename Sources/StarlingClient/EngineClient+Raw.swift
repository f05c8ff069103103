import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StarlingModel

extension EngineClient {
    /// Sends a request exactly as given (`path` with its version prefix and query) and returns the daemon's answer
    /// whatever its status: a manager uses it to answer calls forwarded by another manager.
    public func raw(
        method: String, path: String, headers: [(name: String, value: String)], body: Data
    ) async throws -> (status: Int, headers: [(name: String, value: String)], body: Data) {
        let base: String
        switch address {
        case .unix(let socket):
            guard let url = URL(httpURLWithSocketPath: socket, uri: path) else {
                throw StarlingError.invalidArgument("invalid socket path \(socket)")
            }
            base = url.absoluteString
        case .tcp(let host, let port):
            base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)"
        }
        var request = HTTPClientRequest(url: base)
        request.method = HTTPMethod(rawValue: method)
        for header in headers
        where !["host", "content-length", "connection", "transfer-encoding"].contains(header.name.lowercased()) {
            request.headers.add(name: header.name, value: header.value)
        }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, timeout: requestTimeout)
        let bytes = try await response.body.collect(upTo: Self.maximumResponseSize)
        return (
            Int(response.status.code), response.headers.map { (name: $0.name, value: $0.value) },
            Data(bytes.readableBytesView)
        )
    }
}
