import Foundation
import Hummingbird
import StarlingModel

/// `/distribution/{name}/json`: what the registry says about an image. The name may contain slashes
/// (`registry:5000/team/app:1.0`), so the route takes the rest of the path and strips the `/json` suffix.
struct DistributionRoutes: EngineRouteGroup {
    let backend: any EngineBackend

    func register(on router: Router<EngineRequestContext>) {
        let backend = backend
        router.get("/distribution/**") { request, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            let name = (path.removingPercentEncoding ?? path)
            guard name.hasSuffix("/json"), name.count > "/json".count else {
                throw StarlingError.notFound("page not found")
            }
            let image = String(name.dropLast("/json".count))
            return try await Response.json(backend.distributionInspect(image, registryAuth: request.registryAuth))
        }
    }
}
