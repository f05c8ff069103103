import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOSSL
import StarlingModel
import StarlingPKI

/// Builds the control plane's mutual-TLS transports.
///
/// - The manager's server presents its node certificate chain and requires a client certificate, but accepts it
///   whatever its issuer: a joining node has only a bootstrap certificate. Each handler then authorizes the call
///   (`authenticatedPeer(context:ca:now:)`).
/// - A joining node's bootstrap client presents its bootstrap certificate and does not verify the server; it is
///   used only for `GetRootCA` (whose answer is checked against the join token) and `Join`.
/// - Every other client presents its node certificate and trusts only the swarm CA (no host name check: nodes are
///   addressed by IP and named by ID).
public enum ControlPlaneTransport {
    /// The manager's server transport listening on `address`.
    public static func server(
        address: ControlPlaneAddress, identity: NodeIdentity, keepalive: KeepalivePolicy = .default
    ) -> HTTP2ServerTransport.Posix {
        let security = HTTP2ServerTransport.Posix.TransportSecurity.mTLS(
            certificateChain: [.pem(identity.certificatePEM), .pem(identity.caCertificatePEM)],
            privateKey: .bytes(Array(identity.privateKeyPEM.utf8), format: .pem)
        ) { tls in
            tls.clientCertificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates([.pem(identity.caCertificatePEM)])
            // Require a certificate but accept any: authorization happens per call. The certificate stays
            // available to handlers as `HTTP2ServerTransport.Posix.Context.peerCertificate`.
            tls.customVerificationCallback = { _, promise in
                promise.succeed(.certificateVerified(VerificationMetadata(nil)))
            }
        }
        let config = HTTP2ServerTransport.Posix.Config.defaults { config in
            config.connection.keepalive = HTTP2ServerTransport.Config.Keepalive(
                time: keepalive.interval, timeout: keepalive.timeout,
                clientBehavior: .init(
                    minPingIntervalWithoutCalls: keepalive.minimumClientInterval, allowWithoutCalls: true))
            config.rpc.maxRequestPayloadSize = maximumMessageSize
            // The only hook the transport offers into an accepted connection's pipeline.
            config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
                HandshakeDeadline.install(on: channel, timeout: keepalive.handshakeTimeout)
            }
        }
        return HTTP2ServerTransport.Posix(address: address.socketAddress, transportSecurity: security, config: config)
    }

    /// A joining node's client: presents `identity`, does not verify the server.
    public static func bootstrapClient(
        to address: ControlPlaneAddress, identity: BootstrapIdentity, keepalive: KeepalivePolicy = .default
    ) throws(StarlingError) -> HTTP2ClientTransport.Posix {
        try client(
            to: address, certificatePEM: identity.certificatePEM, privateKeyPEM: identity.privateKeyPEM,
            trusting: .anyServer, keepalive: keepalive)
    }

    /// A node's client: presents its node certificate and trusts only the swarm CA.
    public static func pinnedClient(
        to address: ControlPlaneAddress, identity: NodeIdentity, keepalive: KeepalivePolicy = .default
    ) throws(StarlingError) -> HTTP2ClientTransport.Posix {
        try client(
            to: address, certificatePEM: identity.certificatePEM, privateKeyPEM: identity.privateKeyPEM,
            trusting: .certificateAuthority(pem: identity.caCertificatePEM), keepalive: keepalive)
    }

    /// Which servers a client accepts.
    public enum ServerTrust: Hashable, Sendable {
        /// Any server (only for calls whose answers are checked otherwise, like `GetRootCA` against a token).
        case anyServer
        /// Servers whose certificate chains to this CA (PEM); host names are not checked.
        case certificateAuthority(pem: String)
    }

    /// A client presenting the certificate (PEM, leaf first) and P-256 key (PEM) given, trusting `trust`.
    public static func client(
        to address: ControlPlaneAddress, certificatePEM: String, privateKeyPEM: String, trusting trust: ServerTrust,
        keepalive: KeepalivePolicy = .default
    ) throws(StarlingError) -> HTTP2ClientTransport.Posix {
        let security = HTTP2ClientTransport.Posix.TransportSecurity.mTLS(
            certificateChain: [.pem(certificatePEM)], privateKey: .bytes(Array(privateKeyPEM.utf8), format: .pem)
        ) { tls in
            switch trust {
            case .anyServer:
                tls.serverCertificateVerification = .noVerification
            case .certificateAuthority(let pem):
                tls.serverCertificateVerification = .noHostnameVerification
                tls.trustRoots = .certificates([.pem(pem)])
            }
        }
        let config = HTTP2ClientTransport.Posix.Config.defaults { config in
            config.connection.keepalive = HTTP2ClientTransport.Config.Keepalive(
                time: keepalive.interval, timeout: keepalive.timeout, allowWithoutCalls: true)
            config.backoff = HTTP2ClientTransport.Config.Backoff(
                initial: keepalive.reconnectInitial, max: keepalive.reconnectMaximum, multiplier: 1.6, jitter: 0.2)
            // The only hook the transport offers into a new connection's pipeline.
            config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                HandshakeDeadline.install(on: channel, timeout: keepalive.handshakeTimeout)
            }
        }
        do {
            return try HTTP2ClientTransport.Posix(target: address.target, transportSecurity: security, config: config)
        } catch {
            throw StarlingError.internal("cannot create a control-plane client for \(address): \(error)")
        }
    }

    /// Messages carry base64 bodies of forwarded API calls; allow more than gRPC's 4 MiB default.
    public static let maximumMessageSize = 32 * 1024 * 1024
}

/// How quickly the control plane notices a dead peer: each side pings every `interval` and gives up on the
/// connection when the answer takes longer than `timeout`. The defaults (1 s + 1 s) detect a vanished manager or
/// agent in about two seconds, far below Swarm's heartbeat-based detection. A connection whose TLS handshake does
/// not finish within `handshakeTimeout` is closed (keepalive does not cover that phase).
public struct KeepalivePolicy: Hashable, Sendable {
    public var interval: Duration
    public var timeout: Duration
    /// A client may not ping more often than this; must be below `interval` or the server closes the connection.
    public var minimumClientInterval: Duration
    public var handshakeTimeout: Duration
    /// Reconnection backoff of a client whose connection failed.
    public var reconnectInitial: Duration
    public var reconnectMaximum: Duration

    public init(
        interval: Duration, timeout: Duration, minimumClientInterval: Duration, handshakeTimeout: Duration,
        reconnectInitial: Duration, reconnectMaximum: Duration
    ) {
        self.interval = interval
        self.timeout = timeout
        self.minimumClientInterval = minimumClientInterval
        self.handshakeTimeout = handshakeTimeout
        self.reconnectInitial = reconnectInitial
        self.reconnectMaximum = reconnectMaximum
    }

    public static let `default` = KeepalivePolicy(
        interval: .seconds(1), timeout: .seconds(1), minimumClientInterval: .milliseconds(500),
        handshakeTimeout: .seconds(3), reconnectInitial: .milliseconds(200), reconnectMaximum: .seconds(2))
}

extension TLSConfig.CertificateSource {
    fileprivate static func pem(_ text: String) -> Self {
        .bytes(Array(text.utf8), format: .pem)
    }
}
