import Foundation
import Hummingbird
import NIOCore
import StarlingModel

/// The query of `GET /services/{id}/logs` and `GET /tasks/{id}/logs`: what to read (`TaskLogOptions`) and how to
/// print it (`timestamps`, `details`), checked as dockerd checks it.
struct LogQuery: Sendable {
    var options: TaskLogOptions
    var timestamps: Bool
    var details: Bool

    init(_ query: QueryParameters) throws {
        let stdout = try query.bool("stdout")
        let stderr = try query.bool("stderr")
        guard stdout || stderr else {
            throw StarlingError.invalidArgument("Bad parameters: you must choose at least one stream")
        }
        options = TaskLogOptions(
            follow: try query.bool("follow"), stdout: stdout, stderr: stderr, since: try Self.since(query["since"]),
            tail: try Self.tail(query["tail"]))
        timestamps = try query.bool("timestamps")
        details = try query.bool("details")
    }

    /// `all` or nothing is every entry; otherwise a count that is not negative.
    static func tail(_ text: String?) throws -> Int? {
        guard let text, !text.isEmpty, text != "all" else { return nil }
        guard let count = Int(text) else {
            throw StarlingError.invalidArgument("tail value must be a positive integer or \"all\"")
        }
        guard count >= 0 else { throw StarlingError.invalidArgument("negative tail values not supported") }
        return count
    }

    /// Docker's `seconds[.nanoseconds]` (the clients turn `--since 10m` or an RFC 3339 time into it); `0` or
    /// nothing means from the start.
    static func since(_ text: String?) throws -> Timestamp? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? parts[1] : ""
        guard let seconds = Int64(parts[0]), fraction.count <= 9, fraction.allSatisfy(\.isNumber),
            let nanoseconds = Int32(fraction.padding(toLength: 9, withPad: "0", startingAt: 0))
        else {
            throw StarlingError.invalidArgument(
                "could not parse since timestamp: failed to parse value as time or duration: \"\(text)\"")
        }
        guard seconds != 0 || nanoseconds != 0 else { return nil }
        return Timestamp(seconds: seconds, nanoseconds: nanoseconds)
    }
}

/// Log entries as dockerd writes them (`httputils.WriteLogStream`): each entry is one write of
/// `[<timestamp> ][<details> ]<line>`; without a TTY each write is a multiplexed frame whose 8-byte header is
/// `[stream, 0, 0, 0, length as big-endian UInt32]` (1 stdout, 2 stderr, 3 an error of the daemon).
enum LogFraming {
    /// The stream byte of a daemon-side error ("Error grabbing logs: ...").
    static let systemErrorStream: UInt8 = 3

    static func payload(_ entry: TaskLogEntry, timestamps: Bool, details: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        if timestamps { bytes += Array((fixedNanoseconds(entry.time) + " ").utf8) }
        if details { bytes += Array((detailsText(entry) + " ").utf8) }
        return bytes + entry.line
    }

    /// The frame (or, for a TTY, the raw bytes) of one entry.
    static func frame(_ entry: TaskLogEntry, timestamps: Bool, details: Bool, multiplexed: Bool) -> ByteBuffer {
        let bytes = payload(entry, timestamps: timestamps, details: details)
        guard multiplexed else { return ByteBuffer(bytes: bytes) }
        return frame(bytes, stream: entry.stream == .stdout ? 1 : 2)
    }

    static func frame(_ bytes: [UInt8], stream: UInt8) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(8 + bytes.count)
        buffer.writeBytes([stream, 0, 0, 0])
        buffer.writeInteger(UInt32(bytes.count), endianness: .big)
        buffer.writeBytes(bytes)
        return buffer
    }

    /// `com.docker.swarm.node.id=...,com.docker.swarm.service.id=...,com.docker.swarm.task.id=...` with any other
    /// attributes, sorted by key, keys and values query-escaped, as dockerd writes them.
    static func detailsText(_ entry: TaskLogEntry) -> String {
        var attributes = entry.attributes
        attributes["com.docker.swarm.node.id"] = entry.nodeID
        attributes["com.docker.swarm.service.id"] = entry.serviceID
        attributes["com.docker.swarm.task.id"] = entry.taskID
        return attributes.sorted { Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }
            .map { queryEscape($0.key) + "=" + queryEscape($0.value) }
            .joined(separator: ",")
    }

    /// Go's `url.QueryEscape`: everything but letters, digits and `-_.~` is percent-escaped; a space becomes `+`.
    static func queryEscape(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                output += "+"
            default:
                output += String(format: "%%%02X", byte)
            }
        }
        return output
    }

    /// Go's `2006-01-02T15:04:05.000000000Z07:00` in UTC: always nine fraction digits, so timestamps line up.
    static func fixedNanoseconds(_ time: Timestamp) -> String {
        let whole = RFC3339.format(Timestamp(seconds: time.seconds))  // 2024-05-01T10:11:12Z
        return whole.dropLast() + "." + String(format: "%09d", Int(time.nanoseconds)) + "Z"
    }
}

/// The streamed answer of a logs request.
enum LogStreamResponse {
    /// How often a follower with nothing to send checks that its client is still there. A write is the only way to
    /// notice a client that went away; an empty write puts nothing on the wire.
    static let defaultProbeInterval: Duration = .seconds(1)

    private enum Event: Sendable {
        case entry(TaskLogEntry)
        case probe
        case finished((any Error)?)
    }

    /// A 200 without `Content-Type` (as dockerd sends logs) whose body carries `entries` as they come. The response
    /// ends with the stream; an error of the stream is written as dockerd writes it ("Error grabbing logs: ...").
    /// When following, the stream is cancelled as soon as a write fails because the client went away.
    static func response(
        _ entries: AsyncThrowingStream<TaskLogEntry, any Error>, query: LogQuery, multiplexed: Bool,
        probeInterval: Duration
    ) -> Response {
        let timestamps = query.timestamps
        let details = query.details
        let follow = query.options.follow
        let body = ResponseBody { writer in
            let (events, sink) = AsyncStream.makeStream(of: Event.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await entry in entries { sink.yield(.entry(entry)) }
                        sink.yield(.finished(nil))
                    } catch {
                        sink.yield(.finished(error))
                    }
                }
                if follow {
                    group.addTask {
                        while true {
                            try await Task.sleep(for: probeInterval)
                            sink.yield(.probe)
                        }
                    }
                }
                loop: for await event in events {
                    switch event {
                    case .entry(let entry):
                        try await writer.write(
                            LogFraming.frame(entry, timestamps: timestamps, details: details, multiplexed: multiplexed))
                    case .probe:
                        try await writer.write(ByteBuffer())
                    case .finished(let error):
                        if let error, !(error is CancellationError) {
                            let text = Array("Error grabbing logs: \(error)\n".utf8)
                            try await writer.write(
                                multiplexed
                                    ? LogFraming.frame(text, stream: LogFraming.systemErrorStream)
                                    : ByteBuffer(bytes: text))
                        }
                        break loop
                    }
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, body: body)
    }
}
