import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StarlingAPI
import StarlingModel
import Testing

@Suite struct ErrorMappingTests {
    static let cases: [(StarlingError.Code, HTTPResponse.Status)] = [
        (.notFound, .notFound),
        (.conflict, .conflict),
        (.invalidArgument, .badRequest),
        (.invalidState, .serviceUnavailable),
        (.outOfSequence, .internalServerError),
        (.unavailable, .serviceUnavailable),
        (.permissionDenied, .forbidden),
        (.notImplemented, .notImplemented),
        (.internal, .internalServerError),
    ]

    @Test(arguments: cases)
    func codeBecomesStatusAndJSONMessage(code: StarlingError.Code, status: HTTPResponse.Status) async throws {
        let error = StarlingError(code, "it went \"wrong\"")
        try await engineApplication(FakeEngine(infoError: error)).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/info", method: .get)
            #expect(response.status == status)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.errorMessage == "it went \"wrong\"")
        }
    }

    @Test func errorOnHeadHasNoBody() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/info", method: .head)
            #expect(response.status == .notFound)
            #expect(response.body.readableBytes == 0)
        }
    }
}
