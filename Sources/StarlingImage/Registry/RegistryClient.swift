import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import StarlingModel

/// Where a registry answers and how it wants to be authenticated (from `GET /v2/`).
public struct RegistryEndpoint: Hashable, Sendable {
    /// `https://registry-1.docker.io`, `http://127.0.0.1:5000`.
    public var baseURL: String
    /// Optional: the challenge of its `401`; nil when it serves anonymously.
    public var challenge: AuthenticationChallenge?
    /// Whether TLS certificates are not checked (an insecure registry reached over HTTPS).
    var skipsVerification: Bool
}

/// A manifest or index as a registry served it.
public struct FetchedManifest: Hashable, Sendable {
    public var document: ManifestDocument
    /// Media type, digest and size of the bytes received.
    public var descriptor: Descriptor
    public var bytes: [UInt8]
}

/// A client of the distribution API v2 over AsyncHTTPClient: ping, anonymous access, bearer tokens (from the
/// realm the registry names, with the user's credentials when there are any) and basic auth, manifests by tag or
/// digest, blobs verified by digest and continued with `Range` after an interruption. HTTPS always, plain HTTP
/// only for registries the configuration calls insecure (after HTTPS failed, as dockerd does).
public final class RegistryClient: Sendable {
    let httpClient: HTTPClient
    public let configuration: RegistryConfiguration
    private let sessions = RegistrySessions()
    private static let headTimeout = TimeAmount.seconds(30)
    private static let manifestLimit = 4 << 20

    /// `httpClient` belongs to the caller, who shuts it down; `httpConfiguration` is the configuration it should
    /// have.
    public init(httpClient: HTTPClient, configuration: RegistryConfiguration = .init()) {
        self.httpClient = httpClient
        self.configuration = configuration
    }

    /// How the HTTP client for registries should be configured: a refused connection or a failed TLS handshake
    /// fails at once (AsyncHTTPClient would otherwise retry it until the connect timeout), so that an insecure
    /// registry's HTTPS probe falls back to HTTP without delay and an unreachable registry is reported at once;
    /// broken blob transfers are retried by `fetchBlob` itself. Redirects (to blob storage) are followed; they
    /// drop the `Authorization` header when they leave the registry's origin.
    public static var httpConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        return configuration
    }

    /// Finds how to reach `domain` (a reference's registry): `GET /v2/` over HTTPS, then over HTTP when the
    /// registry is insecure. A `401` is an answer: it names the authentication to use.
    public func ping(_ domain: String) async throws -> RegistryEndpoint {
        let host = RegistryConfiguration.apiHost(for: domain)
        let insecure = configuration.isInsecure(domain)
        var failure = ""
        for scheme in insecure ? ["https", "http"] : ["https"] {
            let endpoint = RegistryEndpoint(
                baseURL: "\(scheme)://\(host)", challenge: nil, skipsVerification: insecure && scheme == "https")
            let url = endpoint.baseURL + "/v2/"
            do {
                let response = try await httpClient.execute(
                    prepare(HTTPClientRequest(url: url), endpoint), timeout: Self.headTimeout)
                _ = try? await response.body.collect(upTo: 1 << 16)
                if response.status == .unauthorized {
                    var answered = endpoint
                    answered.challenge = Self.challenge(response.headers)
                    return answered
                }
                if (200..<300).contains(response.status.code) { return endpoint }
                failure = "Get \"\(url)\": unexpected status \(response.status.code) \(response.status.reasonPhrase)"
            } catch {
                failure = "Get \"\(url)\": \(error)"
            }
        }
        throw StarlingError.unavailable(failure)
    }

    /// Fetches a manifest or index by tag or digest, accepting Docker's and OCI's formats, and checks a digest
    /// reference against the bytes. Registry errors come back as dockerd words them for `name`.
    public func fetchManifest(
        _ name: ImageName, reference: String, credentials: RegistryCredentials? = nil
    ) async throws -> FetchedManifest {
        let response = try await send(name, credentials: credentials) { base in
            var request = HTTPClientRequest(url: "\(base)/v2/\(name.path)/manifests/\(reference)")
            request.headers.add(name: "Accept", value: ManifestDocument.acceptedTypes.joined(separator: ", "))
            return request
        }
        guard response.status == .ok else { throw try await Self.error(response, name: name) }
        let bytes = Array(buffer: try await response.body.collect(upTo: Self.manifestLimit))
        let digest = ContentDigest.sha256(of: bytes)
        if let expected = try? ContentDigest(parsing: reference), expected != digest {
            throw StarlingError.internal("manifest verification failed for digest \(expected)")
        }
        let contentType = response.headers.first(name: "Content-Type")
        let document = try ManifestDocument(decoding: bytes, contentType: contentType)
        let mediaType: String
        switch document {
        case .index(let index): mediaType = index.mediaType ?? MediaType.ociIndex
        case .manifest(let manifest): mediaType = manifest.mediaType ?? MediaType.ociManifest
        }
        return FetchedManifest(
            document: document, descriptor: Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count)),
            bytes: bytes)
    }

    /// Downloads a blob into `writer`, continuing after `writer.offset` with `Range` when the writer holds part of
    /// it, and again after a broken connection (up to `blobAttempts` times). `progress` gets the bytes held so far.
    public func fetchBlob(
        _ name: ImageName, into writer: BlobWriter, credentials: RegistryCredentials? = nil,
        progress: @Sendable (Int64) -> Void = { _ in }
    ) async throws {
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await fetchBlobOnce(name, into: writer, credentials: credentials, progress: progress)
                return
            } catch let error as StarlingError {
                throw error
            } catch {
                // A broken transfer: try again from where it stopped.
                guard attempt < configuration.blobAttempts, !Task.isCancelled else {
                    throw StarlingError.unavailable("fetching blob \(writer.expected.digest): \(error)")
                }
            }
        }
    }

    private func fetchBlobOnce(
        _ name: ImageName, into writer: BlobWriter, credentials: RegistryCredentials?,
        progress: @Sendable (Int64) -> Void
    ) async throws {
        let digest = writer.expected.digest
        let offset = writer.offset
        if offset == writer.expected.size { return }
        let response = try await send(name, credentials: credentials) { base in
            var request = HTTPClientRequest(url: "\(base)/v2/\(name.path)/blobs/\(digest)")
            if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
            return request
        }
        switch response.status {
        case .partialContent where Self.rangeStart(response.headers) == offset:
            break
        case .ok, .partialContent:
            try writer.restart()
        case .rangeNotSatisfiable:
            // The partial content is not a prefix the registry knows: start over.
            try writer.restart()
            throw RetryableBlobError.restart
        default:
            throw try await Self.error(response, name: name)
        }
        progress(writer.offset)
        for try await chunk in response.body {
            try writer.write(chunk)
            progress(writer.offset)
        }
    }

    /// Sends a request to `name`'s registry with the authentication it asks for; a `401` refreshes the token
    /// (or learns a challenge the ping did not show) and tries once more.
    private func send(
        _ name: ImageName, credentials: RegistryCredentials?, make: (String) -> HTTPClientRequest
    ) async throws -> HTTPClientResponse {
        var endpoint = try await endpoint(name.domain)
        var refreshed = false
        while true {
            var request = prepare(make(endpoint.baseURL), endpoint)
            if let authorization = try await authorization(for: name, endpoint: endpoint, credentials: credentials) {
                request.headers.replaceOrAdd(name: "Authorization", value: authorization)
            }
            let response = try await httpClient.execute(request, timeout: Self.headTimeout)
            guard response.status == .unauthorized, !refreshed else { return response }
            refreshed = true
            _ = try? await response.body.collect(upTo: 1 << 16)
            if let challenge = Self.challenge(response.headers) { endpoint.challenge = challenge }
            await sessions.update(endpoint, for: name.domain, droppingTokensOf: name.repository)
        }
    }

    private func endpoint(_ domain: String) async throws -> RegistryEndpoint {
        if let known = await sessions.endpoint(for: domain) { return known }
        let endpoint = try await ping(domain)
        await sessions.update(endpoint, for: domain, droppingTokensOf: nil)
        return endpoint
    }

    private func authorization(
        for name: ImageName, endpoint: RegistryEndpoint, credentials: RegistryCredentials?
    ) async throws -> String? {
        guard let challenge = endpoint.challenge else { return nil }
        switch challenge.scheme {
        case "bearer":
            if let token = credentials?.registryToken { return "Bearer " + token }
            let key = RegistrySessions.TokenKey(
                domain: name.domain, repository: name.repository, username: credentials?.username ?? "")
            if let token = await sessions.token(for: key) { return "Bearer " + token }
            let token = try await TokenRequest(challenge: challenge, repository: name.path, credentials: credentials)
                .fetch(with: httpClient, skipsVerification: endpoint.skipsVerification)
            await sessions.store(token, for: key)
            return "Bearer " + token
        case "basic":
            return credentials?.basicAuthorization
        default:
            return nil
        }
    }

    private func prepare(_ request: HTTPClientRequest, _ endpoint: RegistryEndpoint) -> HTTPClientRequest {
        var request = request
        request.headers.replaceOrAdd(name: "User-Agent", value: "starling")
        if endpoint.skipsVerification {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            request.tlsConfiguration = tls
        }
        return request
    }

    /// The preferred challenge of a response: bearer over basic.
    static func challenge(_ headers: HTTPHeaders) -> AuthenticationChallenge? {
        let challenges = headers["WWW-Authenticate"].compactMap(AuthenticationChallenge.init(header:))
        return challenges.first { $0.scheme == "bearer" } ?? challenges.first
    }

    /// `Content-Range: bytes 100-199/200` → 100.
    static func rangeStart(_ headers: HTTPHeaders) -> Int64? {
        guard let value = headers.first(name: "Content-Range"), value.hasPrefix("bytes ") else { return nil }
        return Int64(value.dropFirst(6).prefix { $0 != "-" })
    }

    /// A registry's error answer in dockerd's words (`distribution/errors.go`).
    static func error(_ response: HTTPClientResponse, name: ImageName) async throws -> StarlingError {
        let body = (try? await response.body.collect(upTo: 1 << 16)).map { Array(buffer: $0) } ?? []
        let entry = (try? JSONDecoder().decode(RegistryErrorBody.self, from: Data(body)))?.errors.first
        return PullFailure(status: response.status.code, entry: entry, name: name).error
    }
}

/// Thrown inside one blob attempt to make `fetchBlob` try again.
enum RetryableBlobError: Error {
    case restart
}
