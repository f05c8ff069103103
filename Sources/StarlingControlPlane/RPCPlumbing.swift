import GRPCCore
import StarlingModel

// What generated gRPC code would do, written once: register a typed unary handler with JSON coding, and make a
// typed unary call. Services and clients are thin layers over these two.

extension RPCRouter {
    /// Registers `handler` for a unary method whose messages are JSON-coded. Errors it throws reach the client as
    /// RPC errors that map back to the same `StarlingError` (see `ControlPlaneErrors.swift`).
    mutating func registerUnary<Input: Decodable & Sendable, Output: Encodable & Sendable>(
        _ method: MethodDescriptor,
        handler: @escaping @Sendable (_ request: Input, _ context: ServerContext) async throws -> Output
    ) {
        registerHandler(
            forMethod: method, deserializer: JSONDeserializer<Input>(), serializer: JSONSerializer<Output>()
        ) { request, context in
            let response: ServerResponse<Output>
            do {
                let single = try await ServerRequest(stream: request)
                let output = try await reportingErrors { try await handler(single.message, context) }
                response = ServerResponse(message: output)
            } catch {
                response = ServerResponse(error: RPCError.converting(error))
            }
            return StreamingServerResponse(single: response)
        }
    }
}

extension GRPCClient {
    /// Calls a unary method with JSON-coded messages, reporting failures as `StarlingError`.
    func callUnary<Input: Encodable & Sendable, Output: Decodable & Sendable>(
        _ method: MethodDescriptor, _ message: Input, options: CallOptions
    ) async throws(StarlingError) -> Output {
        try await mappingErrors {
            try await unary(
                request: ClientRequest(message: message), descriptor: method, serializer: JSONSerializer<Input>(),
                deserializer: JSONDeserializer<Output>(), options: options.withControlPlaneLimits()
            ) { response in
                try response.message
            }
        }
    }
}

extension CallOptions {
    /// `options` with the control plane's message size limit where the caller set none. (The NIO transport applies
    /// `maxRequestMessageBytes` to messages it receives, too, so both are set.)
    func withControlPlaneLimits() -> CallOptions {
        var options = self
        options.maxRequestMessageBytes = options.maxRequestMessageBytes ?? ControlPlaneTransport.maximumMessageSize
        options.maxResponseMessageBytes = options.maxResponseMessageBytes ?? ControlPlaneTransport.maximumMessageSize
        return options
    }
}
