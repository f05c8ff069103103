import Foundation

/// One HTTP header line; a list of these keeps order and repeated names.
public struct HeaderField: Codable, Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An Engine API request a non-leader manager forwards to the leader, as it arrived.
public struct APIRequest: Codable, Hashable, Sendable {
    /// `GET`, `POST`...
    public var method: String
    /// The path with its query string (`/v1.41/services?filters=...`).
    public var path: String
    public var headers: [HeaderField]
    /// The request body (base64 in the JSON encoding).
    public var body: Data

    public init(method: String, path: String, headers: [HeaderField] = [], body: Data = Data()) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// The leader's response to a forwarded Engine API request.
public struct APIResponse: Codable, Hashable, Sendable {
    public var status: Int
    public var headers: [HeaderField]
    /// The response body (base64 in the JSON encoding).
    public var body: Data

    public init(status: Int, headers: [HeaderField] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
