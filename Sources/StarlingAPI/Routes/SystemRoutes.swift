import HTTPTypes
import Hummingbird
import StarlingModel

/// `/_ping`, `/version` and `/info`: what every client calls first.
struct SystemRoutes: EngineRouteGroup {
    let backend: any EngineBackend

    func register(on router: Router<EngineRequestContext>) {
        let backend = backend
        // The docker CLI sends HEAD first and falls back to GET; only the headers matter to it.
        router.head("/_ping") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"])
        }
        router.get("/_ping") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "OK")))
        }
        router.get("/version") { _, _ in
            try await Response.json(backend.systemVersion())
        }
        router.get("/info") { _, _ in
            try await Response.json(backend.systemInfo())
        }
    }
}
