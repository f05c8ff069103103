import GRPCCore
import StarlingModel

/// What a manager implements to serve `starling.Dispatcher`: one long-lived session per agent. The handler reads
/// the agent's messages from `inbound` and writes its own to `outbound`; the session ends when it returns.
/// Authorize with `authenticatedPeer(context:ca:now:)` before trusting anything the agent says.
public protocol DispatcherServiceHandler: Sendable {
    func session(
        inbound: RPCAsyncSequence<AgentMessage, any Error>, outbound: RPCWriter<ManagerMessage>, context: ServerContext
    ) async throws

    /// Takes a batch of task output an agent sends for a `LogSubscription` pushed on its session.
    func publishLogs(_ batch: LogBatch, context: ServerContext) async throws -> LogBatchAck
}

/// The `starling.Dispatcher` service: its descriptors, the server adapter and the client.
public enum DispatcherService {
    public static let descriptor = ServiceDescriptor(package: "starling", service: "Dispatcher")

    /// The service's methods.
    public enum Method {
        public static let session = MethodDescriptor(service: descriptor, method: "Session")
        public static let publishLogs = MethodDescriptor(service: descriptor, method: "PublishLogs")
    }

    /// Registers a `DispatcherServiceHandler` with a gRPC server.
    public struct Server<Handler: DispatcherServiceHandler>: RegistrableRPCService {
        public let handler: Handler

        public init(_ handler: Handler) {
            self.handler = handler
        }

        public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            let handler = self.handler
            router.registerHandler(
                forMethod: Method.session, deserializer: JSONDeserializer<AgentMessage>(),
                serializer: JSONSerializer<ManagerMessage>()
            ) { request, context in
                StreamingServerResponse { outbound in
                    try await reportingErrors {
                        try await handler.session(inbound: request.messages, outbound: outbound, context: context)
                    }
                    return [:]
                }
            }
            router.registerUnary(Method.publishLogs) { (batch: LogBatch, context) in
                try await handler.publishLogs(batch, context: context)
            }
        }
    }

    /// Opens agent sessions over a running `GRPCClient`.
    public struct Client<Transport: ClientTransport>: Sendable {
        public let grpcClient: GRPCClient<Transport>

        public init(wrapping grpcClient: GRPCClient<Transport>) {
            self.grpcClient = grpcClient
        }

        /// Sends a batch of task output; the answer says whether the subscription is still read.
        public func publishLogs(
            _ batch: LogBatch, options: CallOptions = .defaults
        ) async throws(StarlingError)
            -> LogBatchAck
        {
            try await grpcClient.callUnary(Method.publishLogs, batch, options: options)
        }

        /// Runs one session: `body` sends with `outbound` and reads the manager's messages from `inbound` until
        /// it returns (which closes the agent's side) or `inbound` ends or fails (the manager went away: the
        /// keepalive notices a dead connection within a couple of seconds). Failures are `StarlingError`s.
        public func session<Result: Sendable>(
            options: CallOptions = .defaults,
            _ body:
                @escaping @Sendable (
                    _ outbound: SessionOutbound, _ inbound: RPCAsyncSequence<ManagerMessage, any Error>
                )
                async throws -> Result
        ) async throws(StarlingError) -> Result {
            let (stream, continuation) = AsyncStream<AgentMessage>.makeStream()
            let outbound = SessionOutbound(continuation: continuation)
            return try await mappingErrors {
                try await grpcClient.bidirectionalStreaming(
                    request: StreamingClientRequest { writer in
                        for await message in stream {
                            try await writer.write(message)
                        }
                    },
                    descriptor: Method.session, serializer: JSONSerializer<AgentMessage>(),
                    deserializer: JSONDeserializer<ManagerMessage>(), options: options.withControlPlaneLimits()
                ) { response in
                    defer { outbound.finish() }
                    return try await body(outbound, response.messages)
                }
            }
        }
    }
}

/// The agent's side of a session: messages are queued in order and written as the stream allows.
public struct SessionOutbound: Sendable {
    let continuation: AsyncStream<AgentMessage>.Continuation

    /// Queues `message`. Returns false when the session's sending side has already closed.
    @discardableResult
    public func send(_ message: AgentMessage) -> Bool {
        if case .enqueued = continuation.yield(message) { return true }
        return false
    }

    /// Closes the agent's side of the session (the manager sees its inbound messages end).
    public func finish() {
        continuation.finish()
    }
}
