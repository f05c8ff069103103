import GRPCCore
import StarlingModel
import StarlingPKI

/// What a manager implements to serve `starling.CA`: the root CA for anyone, certificates for token holders and
/// renewals for authenticated nodes. Handlers authorize per call (see `authenticatedPeer(context:ca:now:)`),
/// because the TLS layer admits bootstrap certificates too.
public protocol CAServiceHandler: Sendable {
    /// `GetRootCA`: no authentication; the caller checks the answer against its join token's digest.
    func getRootCA(context: ServerContext) async throws -> RootCAResponse
    /// `Join`: authorized by the token in the request; the caller presents only a bootstrap certificate.
    func join(_ request: JoinRequest, context: ServerContext) async throws -> JoinResponse
    /// `RenewCertificate`: authorized by the caller's node certificate.
    func renewCertificate(_ request: RenewRequest, context: ServerContext) async throws -> JoinResponse
}

/// The `starling.CA` service: its descriptors, the server adapter and the client.
public enum CAService {
    public static let descriptor = ServiceDescriptor(package: "starling", service: "CA")

    /// The service's methods.
    public enum Method {
        public static let getRootCA = MethodDescriptor(service: descriptor, method: "GetRootCA")
        public static let join = MethodDescriptor(service: descriptor, method: "Join")
        public static let renewCertificate = MethodDescriptor(service: descriptor, method: "RenewCertificate")
    }

    /// Registers a `CAServiceHandler`'s methods with a gRPC server.
    public struct Server<Handler: CAServiceHandler>: RegistrableRPCService {
        public let handler: Handler

        public init(_ handler: Handler) {
            self.handler = handler
        }

        public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            let handler = self.handler
            router.registerUnary(Method.getRootCA) { (_: Empty, context) in
                try await handler.getRootCA(context: context)
            }
            router.registerUnary(Method.join) { (request: JoinRequest, context) in
                try await handler.join(request, context: context)
            }
            router.registerUnary(Method.renewCertificate) { (request: RenewRequest, context) in
                try await handler.renewCertificate(request, context: context)
            }
        }
    }

    /// Typed calls to `starling.CA` over a running `GRPCClient`. Failures are `StarlingError`s.
    public struct Client<Transport: ClientTransport>: Sendable {
        public let grpcClient: GRPCClient<Transport>

        public init(wrapping grpcClient: GRPCClient<Transport>) {
            self.grpcClient = grpcClient
        }

        public func getRootCA(options: CallOptions = .defaults) async throws(StarlingError) -> RootCAResponse {
            try await grpcClient.callUnary(Method.getRootCA, Empty(), options: options)
        }

        public func join(
            _ request: JoinRequest, options: CallOptions = .defaults
        ) async throws(StarlingError)
            -> JoinResponse
        {
            try await grpcClient.callUnary(Method.join, request, options: options)
        }

        public func renewCertificate(
            _ request: RenewRequest, options: CallOptions = .defaults
        )
            async throws(StarlingError) -> JoinResponse
        {
            try await grpcClient.callUnary(Method.renewCertificate, request, options: options)
        }

        /// Fetches the root CA and accepts it only if it is the one `token` names (what a joining node does
        /// over its unverified bootstrap connection before trusting anything the manager says).
        public func fetchRootCA(
            checking token: JoinToken, options: CallOptions = .defaults
        )
            async throws(StarlingError) -> RootCA
        {
            let response = try await getRootCA(options: options)
            do {
                let ca = try RootCA(certificatePEM: response.caCertificatePEM)
                try token.check(rootCA: ca)
                return ca
            } catch {
                throw StarlingError.converting(error)
            }
        }
    }
}
