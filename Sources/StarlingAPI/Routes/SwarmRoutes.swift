import Hummingbird
import StarlingModel

/// `/swarm`: inspect, init, join, leave and update the swarm this daemon belongs to.
struct SwarmRoutes: EngineRouteGroup {
    let backend: any EngineBackend

    func register(on router: Router<EngineRequestContext>) {
        let backend = backend
        router.get("/swarm") { _, _ in
            try await Response.json(backend.swarmInspect())
        }
        // Docker answers with the new node's ID as a JSON string.
        router.post("/swarm/init") { request, _ in
            let body = try await request.decodeJSON(SwarmInitRequest.self)
            return try await Response.json(backend.swarmInit(body))
        }
        router.post("/swarm/join") { request, _ in
            let body = try await request.decodeJSON(SwarmJoinRequest.self)
            try await backend.swarmJoin(body)
            return Response.empty()
        }
        router.post("/swarm/leave") { request, _ in
            try await backend.swarmLeave(force: request.query.bool("force"))
            return Response.empty()
        }
        router.post("/swarm/update") { request, _ in
            let query = request.query
            let version = try query.objectVersion(of: "swarm")
            let rotateWorkerToken = try query.bool("rotateWorkerToken")
            let rotateManagerToken = try query.bool("rotateManagerToken")
            let spec = try await request.decodeJSON(SwarmSpec.self)
            try await backend.swarmUpdate(
                spec: spec, version: version, rotateWorkerToken: rotateWorkerToken,
                rotateManagerToken: rotateManagerToken)
            return Response.empty()
        }
    }
}
