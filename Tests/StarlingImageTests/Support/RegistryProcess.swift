import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StarlingTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's `docker-registry` (distribution 2.8) started by a test on a loopback port with its storage in the
/// test's scratch directory, anonymous, with basic auth (htpasswd) or with bearer tokens from a realm.
final class RegistryProcess: @unchecked Sendable {
    enum Auth {
        case none
        /// An htpasswd file holding one bcrypt entry.
        case htpasswd(String)
        /// Token authentication: the realm's URL, and the PEM bundle of the certificate whose key signs tokens.
        case token(realm: String, certificatePEM: String)
    }

    static let binary = Scratch.which("docker-registry")
    static let skopeo = Scratch.which("skopeo")
    static let service = "starling-test-registry"

    /// Root (overlay mounts, chroot), the registry, skopeo and a static busybox.
    static var canRunIntegration: Bool {
        Scratch.isRoot && binary != nil && skopeo != nil && TestImages.hasStaticBusybox
    }
    static let issuer = "starling-test-issuer"

    let port: Int
    let host: String
    /// Where the registry logs requests (`"GET /v2/x/blobs/sha256:... HTTP/1.1" 200`).
    let accessLog: String
    private let process: Process

    /// Starts the registry and waits until `/v2/` answers.
    init(scratch: Scratch, name: String, auth: Auth = .none, client: HTTPClient) async throws {
        guard let binary = Self.binary else {
            throw ProcessFailure(command: "docker-registry", status: -1, output: "missing")
        }
        let directory = scratch.path + "/" + name
        try FileManager.default.createDirectory(atPath: directory + "/storage", withIntermediateDirectories: true)
        port = Self.freePort()
        host = "127.0.0.1:\(port)"
        var config = """
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: \(directory)/storage
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)
              secret: starling-test-secret
            """
        switch auth {
        case .none:
            break
        case .htpasswd(let entry):
            try Data((entry + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/htpasswd"))
            config += """

                auth:
                  htpasswd:
                    realm: starling-test
                    path: \(directory)/htpasswd
                """
        case .token(let realm, let certificatePEM):
            try Data(certificatePEM.utf8).write(to: URL(fileURLWithPath: directory + "/token.pem"))
            config += """

                auth:
                  token:
                    realm: \(realm)
                    service: \(Self.service)
                    issuer: \(Self.issuer)
                    rootcertbundle: \(directory)/token.pem
                """
        }
        try Data((config + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/config.yml"))
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", directory + "/config.yml"]
        accessLog = directory + "/access.log"
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: Self.touch(accessLog)))
        process.standardError = try FileHandle(
            forWritingTo: URL(fileURLWithPath: Self.touch(directory + "/registry.log")))
        try process.run()
        try await waitUntilServing(client: client, log: directory + "/registry.log")
    }

    deinit { stop() }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Pushes an archive (`docker-archive:PATH` or `oci-archive:PATH`) to `name` with skopeo.
    func push(_ source: String, to name: String, credentials: String? = nil, all: Bool = false) throws {
        guard let skopeo = Self.skopeo else { throw ProcessFailure(command: "skopeo", status: -1, output: "missing") }
        var arguments = ["--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false"]
        if let credentials { arguments += ["--dest-creds", credentials] }
        if all { arguments.append("--all") }
        try Scratch.run(skopeo, arguments + [source, "docker://\(host)/\(name)"])
    }

    /// The status codes of the registry's answers to blob downloads of `digest`, in order.
    func blobResponses(_ digest: String) -> [Int] {
        let log = (try? String(contentsOfFile: accessLog, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { line in
            guard line.contains("\"GET /v2/"), line.contains("/blobs/\(digest) ") else { return nil }
            // Combined log format: ... "GET /path HTTP/1.1" STATUS SIZE ...
            guard let quote = line.range(of: "HTTP/1.1\" ") else { return nil }
            return Int(line[quote.upperBound...].prefix { $0.isNumber })
        }
    }

    private func waitUntilServing(client: HTTPClient, log: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            if let response = try? await client.execute(
                HTTPClientRequest(url: "http://\(host)/v2/"), timeout: .seconds(2)),
                [200, 401].contains(response.status.code)
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw ProcessFailure(command: "docker-registry serve", status: -1, output: "did not start: \(output)")
    }

    private static func touch(_ path: String) -> String {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }

    static func freePort() -> Int { freeLoopbackPort() }
}
