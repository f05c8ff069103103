import Hummingbird
import StarlingModel

/// `/tasks`: list and inspect tasks, and read one task's logs.
struct TaskRoutes: EngineRouteGroup {
    let backend: any EngineBackend
    var logProbeInterval: Duration = LogStreamResponse.defaultProbeInterval

    func register(on router: Router<EngineRequestContext>) {
        let backend = backend
        let probeInterval = logProbeInterval
        router.get("/tasks") { request, _ in
            let filters = try request.query.filters(allowed: TaskFilter.keys)
            return try await Response.json(backend.tasks(filters: filters))
        }
        router.get("/tasks/:id") { _, context in
            try await Response.json(backend.task(context.pathParameter("id")))
        }
        router.get("/tasks/:id/logs") { request, context in
            let logQuery = try LogQuery(request.query)
            let task = try await backend.task(context.pathParameter("id"))
            let entries = try await backend.logs(.task(id: task.id), options: logQuery.options)
            let tty = task.spec.containerSpec?.tty ?? false
            return LogStreamResponse.response(
                entries, query: logQuery, multiplexed: !tty, probeInterval: probeInterval)
        }
    }
}
