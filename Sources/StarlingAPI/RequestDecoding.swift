import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StarlingModel

/// The query parameters of a request, decoded the way Go's `url.ParseQuery` does (`+` is a space, then percent
/// escapes). Hummingbird's own parser leaves `+` alone, which breaks the python SDK's `filters={"role":+[...]}`.
struct QueryParameters: Sendable {
    private var values: [String: [String]] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.unescape(parts[0])
            let value = parts.count > 1 ? Self.unescape(parts[1]) : ""
            values[key, default: []].append(value)
        }
    }

    private static func unescape(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// The first value of `name`, or nil when absent.
    subscript(_ name: String) -> String? { values[name]?.first }

    /// A boolean parameter: absent or empty is false; `1/true/True/0/false/False` (any case, plus Go's
    /// `yes/no/on/off`) are accepted; anything else is a 400 naming the parameter.
    func bool(_ name: String) throws -> Bool {
        guard let raw = self[name], !raw.isEmpty else { return false }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "none": return false
        default: throw StarlingError.invalidArgument("invalid boolean value '\(raw)' for query parameter '\(name)'")
        }
    }

    /// The `?version=` of an update, required, in Docker's wording ("invalid node version ''...").
    func objectVersion(of kind: String) throws -> UInt64 {
        let raw = self["version"] ?? ""
        guard let version = UInt64(raw) else {
            throw StarlingError.invalidArgument(
                "invalid \(kind) version '\(raw)': the version query parameter must be an unsigned integer")
        }
        return version
    }

    /// The `filters` parameter in either shape, refusing keys outside `allowed`.
    func filters(allowed: Set<String>) throws -> Filters {
        let filters = try Filters(json: self["filters"] ?? "")
        try filters.validate(allowed: allowed)
        return filters
    }
}

extension Request {
    /// The largest request body read; Engine API bodies are specs, the largest being secrets and configs (≤ 1 MB
    /// of data, base64-encoded).
    static let maximumBodySize = 16 << 20

    /// Query parameters decoded like Go does.
    var query: QueryParameters { QueryParameters(uri.query) }

    /// Reads the whole body and decodes it as JSON; a malformed body is a 400 that names the offending field.
    func decodeJSON<T: Decodable>(_ type: T.Type) async throws -> T {
        let buffer = try await body.collect(upTo: Self.maximumBodySize)
        guard buffer.readableBytes > 0 else {
            throw StarlingError.invalidArgument("invalid JSON in request body: the body is empty")
        }
        do {
            return try StarlingJSON.decoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw StarlingError.invalidArgument("invalid JSON in request body: \(DecodingErrorText(error))")
        }
    }
}

/// A `DecodingError` told in a sentence that names the field, e.g. `field "Spec.Role": cannot use "boss"`.
struct DecodingErrorText: CustomStringConvertible {
    let error: DecodingError

    init(_ error: DecodingError) { self.error = error }

    var description: String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \"\(Self.path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return "field \"\(Self.path(context.codingPath))\" must be \(Self.name(of: type))"
        case .valueNotFound(let type, let context):
            return "field \"\(Self.path(context.codingPath))\" must be \(Self.name(of: type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "the body is not valid JSON (\(Self.underlying(context)))"
            }
            return "field \"\(Self.path(context.codingPath))\": \(context.debugDescription)"
        @unknown default:
            return String(describing: error)
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text.isEmpty ? "(root)" : text
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type, is UInt32.Type: return "an integer"
        case is Double.Type: return "a number"
        default: return String(describing: type).hasPrefix("Array<") ? "an array" : "an object"
        }
    }

    private static func underlying(_ context: DecodingError.Context) -> String {
        if let underlying = context.underlyingError as NSError? {
            return underlying.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return context.debugDescription
    }
}

extension Response {
    /// A 200 (or `status`) response carrying `value` as JSON, encoded as the Engine API encodes.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try StarlingJSON.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A response with no body (`Content-Length: 0`), as Docker sends for successful updates and removals.
    static func empty(_ status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, body: ResponseBody())
    }
}

extension RequestContext {
    /// A path parameter (`:id`), percent-decoded: references are names as well as IDs.
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }
}
