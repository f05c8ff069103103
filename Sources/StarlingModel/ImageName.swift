/// An image reference normalised as dockerd normalises it (`reference.ParseNormalizedNamed` of
/// `distribution/reference`): `busybox` is `docker.io/library/busybox`, `localhost:5000/x:1` keeps its domain.
///
/// It lives in the model so that the API, the executor and the image store agree on one grammar; the CLI's
/// `ImageReference` (StarlingClient) is the familiar, display-side view of the same grammar.
public struct ImageName: Hashable, Sendable, CustomStringConvertible {
    /// The registry: `docker.io`, `localhost:5000`, `[::1]:5000`.
    public var domain: String
    /// The repository path inside the registry: `library/busybox`, `prom/prometheus`.
    public var path: String
    /// Optional: the tag (`latest`).
    public var tag: String?
    /// Optional: the content digest; when present it wins over the tag for pulls.
    public var digest: ContentDigest?

    public static let defaultDomain = "docker.io"

    public init(domain: String, path: String, tag: String? = nil, digest: ContentDigest? = nil) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// Parses `text` as `ParseNormalizedNamed` does, with dockerd's error messages (`invalid reference format`,
    /// `invalid reference format: repository name must be lowercase`, ...), as `invalidArgument`.
    public init(parsing text: String) throws(StarlingError) {
        if text.utf8.count == 64, text.utf8.allSatisfy(Self.isLowerHex) {
            throw .invalidArgument(
                "invalid repository name (\(text)), cannot specify 64-byte hexadecimal strings")
        }
        let (domain, remainder) = Self.splitDomain(text)
        let remoteName = remainder.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard remoteName.lowercased() == remoteName else {
            throw .invalidArgument("invalid reference format: repository name must be lowercase")
        }
        var rest = Substring(remainder)
        var digest: ContentDigest?
        if let at = rest.firstIndex(of: "@") {
            let text = String(rest[rest.index(after: at)...])
            guard Self.matchesDigestGrammar(text) else { throw .invalidArgument("invalid reference format") }
            digest = try ContentDigest(parsing: text)
            rest = rest[..<at]
        }
        var tag: String?
        if let colon = rest.firstIndex(of: ":") {
            let text = rest[rest.index(after: colon)...]
            guard Self.isTag(text) else { throw .invalidArgument("invalid reference format") }
            tag = String(text)
            rest = rest[..<colon]
        }
        guard Self.isDomain(domain), !rest.isEmpty,
            rest.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(Self.isPathComponent)
        else { throw .invalidArgument("invalid reference format") }
        guard domain.utf8.count + 1 + rest.utf8.count <= 255 else {
            throw .invalidArgument("repository name must not be more than 255 characters")
        }
        self.init(domain: domain, path: String(rest), tag: tag, digest: digest)
    }

    /// `reference.ParseDockerRef`: a name without tag or digest gets `:latest`; a name with both keeps only the
    /// digest (that is what gets pulled).
    public static func parseDockerReference(_ text: String) throws(StarlingError) -> ImageName {
        var name = try ImageName(parsing: text)
        if name.digest != nil { name.tag = nil } else if name.tag == nil { name.tag = "latest" }
        return name
    }

    /// `Name()`: `docker.io/library/busybox`.
    public var repository: String { domain + "/" + path }

    /// `String()`: `docker.io/library/busybox:latest`, `localhost:5000/x@sha256:...`.
    public var description: String { repository + suffix }

    /// `FamiliarName`: `busybox`, `prom/prometheus`, `localhost:5000/x`.
    public var familiarName: String {
        guard domain == Self.defaultDomain else { return repository }
        let components = path.split(separator: "/")
        if components.count == 2, components[0] == "library" { return String(components[1]) }
        return path
    }

    /// `FamiliarString`: the familiar name with its tag and digest (`busybox:latest`).
    public var familiarString: String { familiarName + suffix }

    /// The same repository without tag and digest.
    public var withoutReference: ImageName { ImageName(domain: domain, path: path) }

    private var suffix: String { (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0.description } ?? "") }

    /// `splitDockerDomain`: the first component is a registry when it has a `.` or `:`, is `localhost`, or has
    /// upper-case letters; official images get `library/`.
    private static func splitDomain(_ text: String) -> (domain: String, remainder: String) {
        var domain = defaultDomain
        var remainder = text
        if let slash = text.firstIndex(of: "/") {
            let first = text[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                domain = String(first)
                remainder = String(text[text.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = defaultDomain }
        if domain == defaultDomain, !remainder.contains("/") { remainder = "library/" + remainder }
        return (domain, remainder)
    }

    private static func isLowerHex(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 102) }
    private static func isLowerAlphanumeric(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        isLowerAlphanumeric(c) || (c >= 65 && c <= 90)
    }
    private static func isWord(_ c: UInt8) -> Bool { isAlphanumeric(c) || c == 95 }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    private static func isPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlphanumeric(first), isLowerAlphanumeric(last)
        else { return false }
        var index = 0
        while index < bytes.count {
            if isLowerAlphanumeric(bytes[index]) {
                index += 1
                continue
            }
            let start = index
            while index < bytes.count, !isLowerAlphanumeric(bytes[index]) { index += 1 }
            let separator = bytes[start..<index]
            let valid =
                separator.elementsEqual([46]) || separator.elementsEqual([95]) || separator.elementsEqual([95, 95])
                || separator.allSatisfy { $0 == 45 }
            guard valid else { return false }
        }
        return true
    }

    /// `[\w][\w.-]{0,127}`
    private static func isTag(_ tag: Substring) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128, isWord(first) else { return false }
        return bytes.allSatisfy { isWord($0) || $0 == 46 || $0 == 45 }
    }

    /// `host[:port]` where host is `component(.component)*` or a bracketed IPv6 address.
    private static func isDomain(_ domain: String) -> Bool {
        var host = Substring(domain)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0 == ":" || $0.isHexDigit }) else { return false }
            host = host[host.index(after: close)...]
            if host.isEmpty { return true }
            guard host.hasPrefix(":") else { return false }
            return isPort(host.dropFirst())
        }
        if let colon = host.firstIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { component in
            let bytes = Array(component.utf8)
            guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last)
            else { return false }
            return bytes.allSatisfy { isAlphanumeric($0) || $0 == 45 }
        }
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// The reference grammar's digest: `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`.
    private static func matchesDigestGrammar(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let encoded = text[text.index(after: colon)...]
        guard encoded.utf8.count >= 32, encoded.allSatisfy(\.isHexDigit) else { return false }
        let components = text[..<colon].split(
            omittingEmptySubsequences: false, whereSeparator: { "-_+.".contains($0) })
        return components.allSatisfy { component in
            let bytes = Array(component.utf8)
            guard let first = bytes.first, (first >= 65 && first <= 90) || (first >= 97 && first <= 122) else {
                return false
            }
            return bytes.allSatisfy(isAlphanumeric)
        }
    }
}

/// A content digest as go-digest validates it: `algorithm:encoded`, with `sha256`, `sha384` or `sha512` and the
/// encoded hash in lower-case hex of the algorithm's length.
public struct ContentDigest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// `sha256`, `sha384` or `sha512`.
    public let algorithm: String
    /// The hash in lower-case hex.
    public let encoded: String

    private static let hexLengths = ["sha256": 64, "sha384": 96, "sha512": 128]

    /// Validates as `digest.Parse` does, with its error messages (`invalid checksum digest format`,
    /// `invalid checksum digest length`, `unsupported digest algorithm`), as `invalidArgument`.
    public init(parsing text: String) throws(StarlingError) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex
        else { throw .invalidArgument("invalid checksum digest format") }
        let algorithm = String(text[..<colon])
        let encoded = String(text[text.index(after: colon)...])
        guard let length = Self.hexLengths[algorithm] else {
            throw .invalidArgument("unsupported digest algorithm")
        }
        guard encoded.utf8.count == length else { throw .invalidArgument("invalid checksum digest length") }
        guard encoded.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw .invalidArgument("invalid checksum digest format")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// A SHA-256 digest from its 64 lower-case hex characters (already computed, so not checked again).
    public init(sha256 encoded: String) {
        self.algorithm = "sha256"
        self.encoded = encoded
    }

    public var description: String { algorithm + ":" + encoded }

    public static func < (lhs: ContentDigest, rhs: ContentDigest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try ContentDigest(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error.message): \(text)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
