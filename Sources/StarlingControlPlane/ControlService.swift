import GRPCCore
import StarlingModel

/// What a manager implements to serve `starling.Control`: Engine API calls forwarded by other managers to the
/// leader. Only managers may call it (check the peer's role with `requireAuthenticatedPeer`).
public protocol ControlServiceHandler: Sendable {
    func forwardAPI(_ request: APIRequest, context: ServerContext) async throws -> APIResponse
}

/// The `starling.Control` service: its descriptors, the server adapter and the client.
public enum ControlService {
    public static let descriptor = ServiceDescriptor(package: "starling", service: "Control")

    /// The service's methods.
    public enum Method {
        public static let forwardAPI = MethodDescriptor(service: descriptor, method: "ForwardAPI")
    }

    /// Registers a `ControlServiceHandler` with a gRPC server.
    public struct Server<Handler: ControlServiceHandler>: RegistrableRPCService {
        public let handler: Handler

        public init(_ handler: Handler) {
            self.handler = handler
        }

        public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            let handler = self.handler
            router.registerUnary(Method.forwardAPI) { (request: APIRequest, context) in
                try await handler.forwardAPI(request, context: context)
            }
        }
    }

    /// Typed calls to `starling.Control` over a running `GRPCClient`. Failures are `StarlingError`s.
    public struct Client<Transport: ClientTransport>: Sendable {
        public let grpcClient: GRPCClient<Transport>

        public init(wrapping grpcClient: GRPCClient<Transport>) {
            self.grpcClient = grpcClient
        }

        public func forwardAPI(
            _ request: APIRequest, options: CallOptions = .defaults
        ) async throws(StarlingError)
            -> APIResponse
        {
            try await grpcClient.callUnary(Method.forwardAPI, request, options: options)
        }
    }
}
