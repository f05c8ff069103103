import Foundation
import GRPCCore
import StarlingModel

/// Serializes control-plane messages as JSON (the Engine API's encoding, `StarlingJSON`) instead of protobuf:
/// one set of `Codable` model types serves the API, the store and the wire, with no code generation step.
public struct JSONSerializer<Message: Encodable>: MessageSerializer {
    public init() {}

    public func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        do {
            return Bytes(try StarlingJSON.encode(message))
        } catch {
            throw RPCError(code: .internalError, message: "cannot encode \(Message.self): \(error)")
        }
    }
}

/// Decodes control-plane messages from JSON. Unknown fields are ignored, so newer peers may add fields freely.
public struct JSONDeserializer<Message: Decodable>: MessageDeserializer {
    public init() {}

    public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        let data = serializedMessageBytes.withUnsafeBytes { Data($0) }
        do {
            return try StarlingJSON.decode(Message.self, from: data)
        } catch {
            throw RPCError(code: .invalidArgument, message: "cannot decode \(Message.self): \(error)")
        }
    }
}
