import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StarlingModel

/// The service and task calls, mirroring the server's `EngineBackend`.
extension EngineClient {
    // MARK: Services

    /// `POST /services/create`: returns the new service's ID and the daemon's warnings.
    public func createService(_ spec: ServiceSpec) async throws -> ServiceCreateResponse {
        try await decode(ServiceCreateResponse.self, .POST, "/services/create", body: Self.json(spec))
    }

    /// `GET /services`, optionally filtered (`id`, `label`, `mode`, `name`, `runtime`); with `status`, each service
    /// carries its task counts.
    public func services(filters: Filters = Filters(), status: Bool = false) async throws -> [SwarmService] {
        var query = filters.isEmpty ? [] : [("filters", filters.json)]
        if status { query.append(("status", "true")) }
        return try await decode([SwarmService].self, .GET, "/services", query: query)
    }

    /// `GET /services/{reference}`: an ID, an exact name or a unique ID prefix. With `insertDefaults`, the spec
    /// carries Docker's defaults for what it leaves out.
    public func service(_ reference: String, insertDefaults: Bool = false) async throws -> SwarmService {
        try await serviceWithRaw(reference, insertDefaults: insertDefaults).service
    }

    /// `GET /services/{reference}`, with the daemon's JSON as it came (`service inspect` prints it).
    public func serviceWithRaw(
        _ reference: String, insertDefaults: Bool = false
    ) async throws -> (service: SwarmService, raw: Data) {
        let path = "/services/\(Self.escape(reference))"
        let body = try await send(.GET, path, query: [("insertDefaults", String(insertDefaults))]).body
        let raw = Data(body.readableBytesView)
        do {
            return (try StarlingJSON.decode(SwarmService.self, from: raw), raw)
        } catch {
            throw StarlingError.internal("cannot decode the daemon's answer to GET \(path): \(error)")
        }
    }

    /// `POST /services/{reference}/update`: `version` is the `Version.Index` the spec was read at.
    public func updateService(
        _ reference: String, version: UInt64, spec: ServiceSpec, registryAuthFrom: String? = nil,
        rollback: String? = nil
    ) async throws -> ServiceUpdateResponse {
        var query = [("version", String(version))]
        if let registryAuthFrom { query.append(("registryAuthFrom", registryAuthFrom)) }
        if let rollback { query.append(("rollback", rollback)) }
        return try await decode(
            ServiceUpdateResponse.self, .POST, "/services/\(Self.escape(reference))/update", query: query,
            body: Self.json(spec))
    }

    /// `DELETE /services/{reference}`.
    public func removeService(_ reference: String) async throws {
        try await perform(.DELETE, "/services/\(Self.escape(reference))")
    }

    // MARK: Tasks

    /// `GET /tasks`, optionally filtered (`id`, `name`, `service`, `node`, `desired-state`, `label`, `runtime`,
    /// `_up-to-date`).
    public func tasks(filters: Filters = Filters()) async throws -> [SwarmTask] {
        try await decode([SwarmTask].self, .GET, "/tasks", query: filters.isEmpty ? [] : [("filters", filters.json)])
    }

    /// `GET /tasks/{reference}`: an ID, a task name or a unique ID prefix.
    public func task(_ reference: String) async throws -> SwarmTask {
        try await decode(SwarmTask.self, .GET, "/tasks/\(Self.escape(reference))")
    }

    // MARK: Logs

    /// `GET /services/{reference}/logs`: the frames of the service's task logs, demultiplexed; with
    /// `options.follow` the sequence goes on until the task is cancelled. A service whose tasks have a TTY sends
    /// its logs raw: pass `multiplexed: false` (each chunk is then a stdout frame).
    public func serviceLogs(
        _ reference: String, options: LogRequestOptions = .init(), multiplexed: Bool = true
    ) async throws -> LogFrames {
        try await logs("/services/\(Self.escape(reference))/logs", options: options, multiplexed: multiplexed)
    }

    /// `GET /tasks/{reference}/logs`, as `serviceLogs`.
    public func taskLogs(
        _ reference: String, options: LogRequestOptions = .init(), multiplexed: Bool = true
    ) async throws -> LogFrames {
        try await logs("/tasks/\(Self.escape(reference))/logs", options: options, multiplexed: multiplexed)
    }

    private func logs(_ path: String, options: LogRequestOptions, multiplexed: Bool) async throws -> LogFrames {
        let response = try await stream(.GET, path, query: options.query)
        return LogFrames(body: response.body, multiplexed: multiplexed)
    }

    // MARK: Images

    /// `GET /distribution/{image}/json`: the digest the image's tag points to in its registry, and its platforms.
    public func distributionInspect(_ image: String) async throws -> RegistryImage {
        try await decode(RegistryImage.self, .GET, "/distribution/\(image)/json")
    }
}

/// The query of a logs request, as the docker CLI sends it.
public struct LogRequestOptions: Hashable, Sendable {
    public var follow: Bool
    public var stdout: Bool
    public var stderr: Bool
    /// Docker's `seconds[.nanoseconds]`, or nil for all.
    public var since: String?
    /// A count, or nil for all.
    public var tail: Int?
    public var timestamps: Bool
    /// The `com.docker.swarm.*` context before each line (the pretty output needs it).
    public var details: Bool

    public init(
        follow: Bool = false, stdout: Bool = true, stderr: Bool = true, since: String? = nil, tail: Int? = nil,
        timestamps: Bool = false, details: Bool = true
    ) {
        self.follow = follow
        self.stdout = stdout
        self.stderr = stderr
        self.since = since
        self.tail = tail
        self.timestamps = timestamps
        self.details = details
    }

    var query: [(String, String)] {
        var query: [(String, String)] = []
        if details { query.append(("details", "1")) }
        if follow { query.append(("follow", "1")) }
        if stderr { query.append(("stderr", "1")) }
        if stdout { query.append(("stdout", "1")) }
        if let since { query.append(("since", since)) }
        if timestamps { query.append(("timestamps", "1")) }
        query.append(("tail", tail.map(String.init) ?? "all"))
        return query
    }
}

/// What `GET /distribution/{image}/json` tells of an image.
public struct RegistryImage: Decodable, Hashable, Sendable {
    /// The manifest's digest, `sha256:...`.
    public var digest: String
    public var platforms: [Platform]

    enum CodingKeys: String, CodingKey {
        case descriptor = "Descriptor"
        case platforms = "Platforms"
    }

    private struct Descriptor: Decodable { var digest: String }

    private struct OCIPlatform: Decodable {
        var architecture: String?
        var os: String?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        digest = try c.decode(Descriptor.self, forKey: .descriptor).digest
        platforms = (try c.decodeIfPresent([OCIPlatform].self, forKey: .platforms) ?? []).map {
            Platform(architecture: $0.architecture, os: $0.os)
        }
    }
}
