import HTTPTypes
import Hummingbird
import StarlingModel

/// The request context of every Engine API route.
public typealias EngineRequestContext = BasicRequestContext

/// One resource's routes (system, swarm, nodes, ...). Adding a resource to the API is one new conforming type in
/// `Routes/` and one entry in `EngineResponder.routeGroups`.
protocol EngineRouteGroup: Sendable {
    func register(on router: Router<EngineRequestContext>)
}

/// The Engine API as an `HTTPResponder`: the router for all resources, wrapped in what applies to every request.
///
/// - The optional `/vX.Y` path prefix is checked against the supported range and stripped before routing
///   (Hummingbird resolves routes before router middleware runs, so this cannot be a middleware).
/// - Every response carries the daemon headers the docker CLI reads (`Api-Version`, `Ostype`, ...).
/// - HEAD, 204 and 304 responses never carry a body (a body on HEAD corrupts Go's keep-alive connections).
/// - Errors become `{"message": ...}` responses (`EngineErrorResponse`).
public struct EngineResponder: HTTPResponder {
    public typealias Context = EngineRequestContext

    private let router: RouterResponder<EngineRequestContext>
    private let forwarder: (any RequestForwarder)?

    /// - Parameter forwarder: asked first about every request; it may answer it elsewhere.
    public init(backend: any EngineBackend, forwarder: (any RequestForwarder)? = nil) {
        self.forwarder = forwarder
        let router = Router(context: EngineRequestContext.self)
        // Added first, so it also wraps the router's "not found" responder.
        router.add(middleware: EngineErrorMiddleware())
        for group in Self.routeGroups(backend) {
            group.register(on: router)
        }
        self.router = router.buildResponder()
    }

    private static func routeGroups(_ backend: any EngineBackend) -> [any EngineRouteGroup] {
        [
            SystemRoutes(backend: backend),
            SwarmRoutes(backend: backend),
            NodeRoutes(backend: backend),
            ServiceRoutes(backend: backend),
            TaskRoutes(backend: backend),
            DistributionRoutes(backend: backend),
        ]
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var response: Response
        do {
            let unversioned = try Self.withoutVersionPrefix(request)
            let route = String((unversioned.head.path ?? "/").prefix { $0 != "?" })
            if let forwarder, let answer = try await Self.forwarded(request, route: route, through: forwarder) {
                response = answer
            } else {
                response = try await router.respond(to: unversioned, context: context)
            }
        } catch {
            response = EngineErrorResponse.response(for: error)
        }
        Self.addDaemonHeaders(to: &response)
        if request.method == .head || response.status == .noContent || response.status == .notModified {
            response.body = ResponseBody()
            if request.method != .head { response.headers[.contentLength] = nil }
        }
        return response
    }

    /// The request as the router should see it: `/v1.41/nodes` → `/nodes`. Throws Docker's 400 for a version
    /// outside the supported range.
    static func withoutVersionPrefix(_ request: Request) throws -> Request {
        let (version, rest) = VersionedPath.split(request.head.path ?? "/")
        guard let version else { return request }
        try APIVersion.check(version)
        var head = request.head
        head.path = rest
        return Request(head: head, body: request.body)
    }

    private static func addDaemonHeaders(to response: inout Response) {
        for (name, value) in daemonHeaders {
            response.headers[name] = value
        }
    }

    private static let daemonHeaders: [(HTTPField.Name, String)] = [
        (headerName("Api-Version"), StarlingVersion.apiVersion),
        (headerName("Ostype"), "linux"),
        (headerName("Docker-Experimental"), "false"),
        (.cacheControl, "no-cache, no-store, must-revalidate"),
        (headerName("Pragma"), "no-cache"),
        (.server, "Starling/\(StarlingVersion.version) (linux)"),
    ]

    private static func headerName(_ text: String) -> HTTPField.Name {
        guard let name = HTTPField.Name(text) else { preconditionFailure("invalid header name '\(text)'") }
        return name
    }
}
