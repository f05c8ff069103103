import StarlingModel

/// An Engine API version such as `1.41`, compared part by part as numbers (`1.9 < 1.10`), as Docker compares them.
struct APIVersion: Comparable, Sendable, CustomStringConvertible {
    let text: String
    private let parts: [Int]

    /// Accepts what Docker's router accepts after `/v`: digits and dots.
    init?(_ text: some StringProtocol) {
        guard !text.isEmpty, text.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber }) else { return nil }
        self.text = String(text)
        self.parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
    }

    var description: String { text }

    static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
        for index in 0..<max(lhs.parts.count, rhs.parts.count) {
            let left = index < lhs.parts.count ? lhs.parts[index] : 0
            let right = index < rhs.parts.count ? rhs.parts[index] : 0
            if left != right { return left < right }
        }
        return false
    }

    static func == (lhs: APIVersion, rhs: APIVersion) -> Bool { !(lhs < rhs) && !(rhs < lhs) }

    /// The range of versions this server accepts in a `/vX.Y/` prefix.
    static let supported: ClosedRange<APIVersion> = {
        guard let low = APIVersion(StarlingVersion.minAPIVersion), let high = APIVersion(StarlingVersion.apiVersion)
        else { preconditionFailure("StarlingVersion holds malformed API versions") }
        return low...high
    }()

    /// Docker's refusal of a version outside `supported` (its wording, status 400).
    static func check(_ version: APIVersion) throws {
        if version > supported.upperBound {
            throw StarlingError.invalidArgument(
                "client version \(version) is too new. Maximum supported API version is \(supported.upperBound)")
        }
        if version < supported.lowerBound {
            throw StarlingError.invalidArgument(
                "client version \(version) is too old. Minimum supported API version is \(supported.lowerBound), please upgrade your client to a newer version"
            )
        }
    }
}

/// Splits an optional `/vX.Y` prefix off a request path.
enum VersionedPath {
    /// Returns the version named by the prefix (nil when there is none) and the path without it, query included.
    /// `/v1.41/nodes?x=1` → (`1.41`, `/nodes?x=1`); `/v1.41` → (`1.41`, `/`); `/nodes` → (nil, `/nodes`).
    static func split(_ path: String) -> (version: APIVersion?, rest: String) {
        guard path.hasPrefix("/v") else { return (nil, path) }
        let afterV = path.index(path.startIndex, offsetBy: 2)
        let end = path[afterV...].firstIndex { $0 == "/" || $0 == "?" } ?? path.endIndex
        guard let version = APIVersion(path[afterV..<end]) else { return (nil, path) }
        let rest = path[end...]
        return (version, rest.hasPrefix("/") ? String(rest) : "/" + rest)
    }
}
