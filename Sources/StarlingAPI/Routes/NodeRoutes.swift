import Hummingbird
import StarlingModel

/// `/nodes`: list, inspect, update and remove the swarm's nodes.
struct NodeRoutes: EngineRouteGroup {
    /// The filter keys `GET /nodes` accepts (dockerd refuses any other).
    static let filterKeys: Set<String> = ["id", "label", "membership", "name", "node.label", "role"]

    let backend: any EngineBackend

    func register(on router: Router<EngineRequestContext>) {
        let backend = backend
        router.get("/nodes") { request, _ in
            let filters = try request.query.filters(allowed: Self.filterKeys)
            return try await Response.json(backend.nodes(filters: filters))
        }
        router.get("/nodes/:id") { _, context in
            try await Response.json(backend.node(context.pathParameter("id")))
        }
        // The docker CLI sends the whole NodeSpec and expects 200 with an empty body.
        router.post("/nodes/:id/update") { request, context in
            let reference = try context.pathParameter("id")
            let version = try request.query.objectVersion(of: "node")
            let spec = try await request.decodeJSON(NodeSpec.self)
            try await backend.updateNode(reference, version: version, spec: spec)
            return Response.empty()
        }
        router.delete("/nodes/:id") { request, context in
            try await backend.removeNode(context.pathParameter("id"), force: request.query.bool("force"))
            return Response.empty()
        }
    }
}
