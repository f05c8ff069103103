import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StarlingModel

/// One write of a task's log as the daemon framed it: the stream it belongs to and its bytes (one line, with the
/// context and timestamp the request asked for).
public struct LogFrame: Hashable, Sendable {
    /// The stream byte of the frame header.
    public enum Stream: UInt8, Hashable, Sendable {
        case stdin = 0
        case stdout = 1
        case stderr = 2
        /// An error of the daemon while reading the logs ("Error grabbing logs: ...").
        case systemError = 3
    }

    public var stream: Stream
    public var bytes: [UInt8]

    public init(stream: Stream, bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// Splits Docker's multiplexed stream into frames: an 8-byte header `[stream, 0, 0, 0, length as big-endian
/// UInt32]`, then the payload. Bytes are appended as they arrive; complete frames come out in order.
public struct LogDemultiplexer: Sendable {
    private var pending: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start == pending.count {
            pending.removeAll(keepingCapacity: true)
            start = 0
        }
        pending.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes arrive. A stream byte outside 0...3 is a protocol error.
    public mutating func next() throws -> LogFrame? {
        guard pending.count - start >= 8 else { return nil }
        guard let stream = LogFrame.Stream(rawValue: pending[start]) else {
            throw StarlingError.internal("Unrecognized input header: \(pending[start])")
        }
        let length = pending[(start + 4)..<(start + 8)].reduce(0) { $0 << 8 | Int($1) }
        guard pending.count - start - 8 >= length else { return nil }
        let frame = LogFrame(stream: stream, bytes: Array(pending[(start + 8)..<(start + 8 + length)]))
        start += 8 + length
        if start > 1 << 16 {
            pending.removeFirst(start)
            start = 0
        }
        return frame
    }

    /// True when bytes of an incomplete frame are left.
    public var hasPartialFrame: Bool { pending.count > start }
}

/// The frames of a logs response, read as they arrive. Iterate it once; cancelling the iterating task closes the
/// response.
public struct LogFrames: AsyncSequence, Sendable {
    public typealias Element = LogFrame

    let body: HTTPClientResponse.Body
    /// False for a TTY service, whose logs are not framed.
    let multiplexed: Bool

    public func makeAsyncIterator() -> Iterator {
        Iterator(chunks: body.makeAsyncIterator(), multiplexed: multiplexed)
    }

    /// Reads chunks from the response and hands out whole frames.
    public struct Iterator: AsyncIteratorProtocol {
        var chunks: HTTPClientResponse.Body.AsyncIterator
        let multiplexed: Bool
        var demultiplexer = LogDemultiplexer()

        public mutating func next() async throws -> LogFrame? {
            while true {
                if multiplexed, let frame = try demultiplexer.next() { return frame }
                guard let chunk = try await chunks.next() else { return nil }
                guard multiplexed else {
                    if chunk.readableBytes == 0 { continue }
                    return LogFrame(stream: .stdout, bytes: Array(chunk.readableBytesView))
                }
                demultiplexer.append(chunk.readableBytesView)
            }
        }
    }
}

extension EngineClient {
    /// Sends a request and returns the response as soon as its head arrived, its body unread (for logs). An error
    /// status throws the daemon's error.
    func stream(_ method: HTTPMethod, _ path: String, query: [(String, String)]) async throws -> HTTPClientResponse {
        if case .unix(let socket) = address, !FileManager.default.fileExists(atPath: socket) {
            throw StarlingError.unavailable(
                "Cannot connect to the Starling daemon at \(address). Is the starling daemon running?")
        }
        let queryText = query.map { "\(Self.escape($0))=\(Self.escape($1))" }.joined(separator: "&")
        let target = "/v\(Self.apiVersion)\(path)" + (queryText.isEmpty ? "" : "?" + queryText)
        let url: String
        switch address {
        case .unix(let socket):
            guard let socketURL = URL(httpURLWithSocketPath: socket, uri: target) else {
                throw StarlingError.invalidArgument("invalid socket path \(socket)")
            }
            url = socketURL.absoluteString
        case .tcp(let host, let port):
            url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(target)"
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "Starling-Client/\(StarlingVersion.version)")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: requestTimeout)
        } catch let error as StarlingError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StarlingError.unavailable("error talking to the Starling daemon at \(address): \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            let body = try await response.body.collect(upTo: Self.maximumResponseSize)
            throw Self.daemonError(status: response.status, body: body)
        }
        return response
    }
}
