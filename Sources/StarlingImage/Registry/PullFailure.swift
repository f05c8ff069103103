import StarlingModel

/// A registry's refusal, in dockerd's words (`distribution/errors.go`), so that `docker pull` and a task's error
/// read as they do with Docker.
struct PullFailure {
    var status: UInt
    var entry: RegistryErrorBody.Entry?
    var name: ImageName

    var error: StarlingError {
        let code = entry?.code ?? (status == 404 ? "MANIFEST_UNKNOWN" : status == 401 ? "UNAUTHORIZED" : "")
        let cause = RegistryErrorBody.describe(
            entry ?? RegistryErrorBody.Entry(code: code, message: nil))
        let denied =
            "pull access denied for \(name.familiarName), repository does not exist or may require 'docker login'"
        switch code {
        case "MANIFEST_UNKNOWN":
            return .notFound("manifest for \(name.familiarString) not found: \(cause)")
        case "NAME_UNKNOWN":
            return .notFound("repository \(name.familiarName) not found: \(cause)")
        case "DENIED":
            return .notFound("\(denied): \(cause)")
        case "UNAUTHORIZED":
            return StarlingError(.permissionDenied, "\(denied): \(cause)")
        case "BLOB_UNKNOWN":
            return .notFound("\(cause)")
        case "TOOMANYREQUESTS":
            return .unavailable("\(cause)")
        default:
            let text = entry.map(RegistryErrorBody.describe) ?? "received unexpected HTTP status: \(status)"
            return status >= 500 ? .unavailable(text) : .internal(text)
        }
    }
}
