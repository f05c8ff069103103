import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StarlingAPI
import StarlingModel

/// An application serving `EngineResponder` over `backend`, for HummingbirdTesting.
func engineApplication(_ backend: any EngineBackend) -> some ApplicationProtocol {
    Application(
        responder: EngineResponder(backend: backend),
        configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
}

extension HTTPField.Name {
    static let apiVersion = HTTPField.Name("Api-Version")!
    static let ostype = HTTPField.Name("Ostype")!
    static let dockerExperimental = HTTPField.Name("Docker-Experimental")!
    static let pragma = HTTPField.Name("Pragma")!
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }

    /// The `message` of a Docker error body (nil when the body is not one).
    var errorMessage: String? {
        struct Message: Decodable { var message: String }
        return try? JSONDecoder().decode(Message.self, from: Data(body.readableBytesView)).message
    }

    /// The body as a JSON object.
    var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try StarlingJSON.decode(T.self, from: Data(body.readableBytesView))
    }
}

/// `value` as a request body.
func jsonBody(_ value: some Encodable) throws -> ByteBuffer {
    ByteBuffer(bytes: try StarlingJSON.encode(value))
}

/// Percent-escapes a query value (as Go does, but leaving spaces as `+` as python's urlencode does).
func formEscape(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~ ")
    return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: " ", with: "+")
}
