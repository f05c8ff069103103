import HTTPTypes
import Hummingbird
import StarlingModel

/// `/services`: create, list, inspect, update and remove services, and read their logs.
struct ServiceRoutes: EngineRouteGroup {
    static let registryAuthHeader = HTTPField.Name("X-Registry-Auth")

    let backend: any EngineBackend
    var logProbeInterval: Duration = LogStreamResponse.defaultProbeInterval

    func register(on router: Router<EngineRequestContext>) {
        let backend = backend
        let probeInterval = logProbeInterval
        // The docker CLI sends `X-Registry-Auth` with --with-registry-auth; it is handed to the backend.
        router.post("/services/create") { request, _ in
            let spec = try await request.decodeJSON(ServiceSpec.self)
            try ServiceSpecValidation.validate(spec)
            let answer = try await backend.createService(spec, registryAuth: request.registryAuth)
            return try Response.json(answer, status: .created)
        }
        router.get("/services") { request, _ in
            let query = request.query
            let filters = try query.filters(allowed: ServiceFilter.keys)
            try Self.checkModes(filters)
            return try await Response.json(backend.services(filters: filters, status: query.bool("status")))
        }
        router.get("/services/:id") { request, context in
            var service = try await backend.service(context.pathParameter("id"))
            if try request.query.bool("insertDefaults") {
                service.spec = service.spec.insertingDefaults()
            }
            return try Response.json(service)
        }
        router.post("/services/:id/update") { request, context in
            let reference = try context.pathParameter("id")
            let query = request.query
            let version = try query.objectVersion(of: "service")
            let options = try Self.updateOptions(query, registryAuth: request.registryAuth)
            let spec = try await request.decodeJSON(ServiceSpec.self)
            try ServiceSpecValidation.validate(spec)
            let answer = try await backend.updateService(reference, version: version, spec: spec, options: options)
            return try Response.json(answer)
        }
        router.delete("/services/:id") { _, context in
            try await backend.removeService(context.pathParameter("id"))
            return Response.empty()
        }
        // Everything that can fail with a status happens before the stream starts: the lookup (404), the query.
        router.get("/services/:id/logs") { request, context in
            let logQuery = try LogQuery(request.query)
            let service = try await backend.service(context.pathParameter("id"))
            let entries = try await backend.logs(.service(id: service.id), options: logQuery.options)
            let tty = service.spec.taskTemplate.containerSpec?.tty ?? false
            return LogStreamResponse.response(
                entries, query: logQuery, multiplexed: !tty, probeInterval: probeInterval)
        }
    }

    /// dockerd accepts the four mode names only.
    static func checkModes(_ filters: Filters) throws {
        let known: Set<String> = ["replicated", "global", "replicated-job", "global-job"]
        if let unknown = filters.values("mode").first(where: { !known.contains($0) }) {
            throw StarlingError.invalidArgument("Invalid filter 'mode=\(unknown)'")
        }
    }

    static func updateOptions(_ query: QueryParameters, registryAuth: String?) throws -> ServiceUpdateOptions {
        let source = query["registryAuthFrom"] ?? ""
        guard let registryAuthFrom = source.isEmpty ? .spec : ServiceUpdateOptions.RegistryAuthSource(rawValue: source)
        else {
            throw StarlingError.invalidArgument("unsupported registryAuthFrom value")
        }
        let rollbackText = query["rollback"] ?? ""
        guard let rollback = rollbackText.isEmpty ? ServiceUpdateOptions.Rollback.none : .init(rawValue: rollbackText)
        else {
            throw StarlingError.invalidArgument("unrecognized rollback option \(rollbackText)")
        }
        return ServiceUpdateOptions(registryAuthFrom: registryAuthFrom, rollback: rollback, registryAuth: registryAuth)
    }
}

extension Request {
    /// The `X-Registry-Auth` header (base64 JSON credentials), when sent and not empty.
    var registryAuth: String? {
        guard let name = ServiceRoutes.registryAuthHeader, let value = headers[name], !value.isEmpty else {
            return nil
        }
        return value
    }
}
