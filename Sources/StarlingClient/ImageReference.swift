/// An image reference as the docker CLI handles it (`distribution/reference`): `[domain/]path[:tag][@digest]`, shown
/// in its familiar form (`busybox:1.36`, not `docker.io/library/busybox:1.36`).
public struct ImageReference: Hashable, Sendable {
    /// The familiar name: no `docker.io/` domain, no `library/` for official images.
    public var name: String
    public var tag: String?
    public var digest: String?

    /// Parses what `reference.ParseNormalizedNamed` accepts (lower-case path components separated by `.`, `_`,
    /// `__` or `-`; a tag of word characters, `.` and `-`); nil for anything else.
    public init?(_ text: String) {
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            let digest = rest[rest.index(after: at)...]
            guard digest.contains(":"), !digest.hasSuffix(":") else { return nil }
            self.digest = String(digest)
            rest = rest[..<at]
        }
        let lastSlash = rest.lastIndex(of: "/") ?? rest.startIndex
        if let colon = rest[lastSlash...].lastIndex(of: ":") {
            let tag = rest[rest.index(after: colon)...]
            guard Self.isTag(tag) else { return nil }
            self.tag = String(tag)
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let first = components.first, !first.isEmpty else { return nil }
        var domain: String?
        if components.count > 1, first.contains(".") || first.contains(":") || first == "localhost" {
            domain = first
            components.removeFirst()
        }
        if domain == "index.docker.io" { domain = "docker.io" }
        guard !components.isEmpty, components.allSatisfy(Self.isPathComponent) else { return nil }
        if domain == "docker.io" {
            domain = nil
            if components.count == 2, components[0] == "library" { components.removeFirst() }
        }
        name = ([domain].compactMap { $0 } + components).joined(separator: "/")
    }

    /// `reference.FamiliarString`: `name[:tag][@digest]`.
    public var familiar: String { name + (tag.map { ":" + $0 } ?? "") + (digest.map { "@" + $0 } ?? "") }

    /// The docker client's `imageWithTagString`: the familiar form, `:latest` added to a bare name; nil when the
    /// text is not a reference (it is then sent as is).
    public static func withDefaultTag(_ text: String) -> String? {
        guard var reference = ImageReference(text) else { return nil }
        if reference.tag == nil && reference.digest == nil { reference.tag = "latest" }
        return reference.familiar
    }

    /// `imageWithDigestString`: the reference pinned to `digest`, unless it already has one.
    public static func pinned(_ text: String, digest: String) -> String {
        guard var reference = ImageReference(text), reference.digest == nil else { return text }
        reference.digest = digest
        return reference.familiar
    }

    /// How `service ls` and `service ps` show an image: a tagged reference without its digest, familiar; anything
    /// else unchanged.
    public static func display(_ text: String) -> String {
        guard var reference = ImageReference(text), reference.tag != nil else { return text }
        reference.digest = nil
        return reference.familiar
    }

    /// The docker client's warning when the registry could not be asked for the image's digest.
    public static func digestWarning(_ image: String) -> String {
        "image \(image) could not be accessed on a registry to record\nits digest. Each node will access \(image) "
            + "independently,\npossibly leading to different nodes running different\nversions of the image.\n"
    }

    private static func isPathComponent(_ component: String) -> Bool {
        let bytes = Array(component.utf8)
        func isAlphanumeric(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        var index = 0
        while index < bytes.count {
            if isAlphanumeric(bytes[index]) {
                index += 1
                continue
            }
            // A separator: `.`, `_`, `__`, or one or more `-`.
            let start = index
            while index < bytes.count, !isAlphanumeric(bytes[index]) { index += 1 }
            let separator = String(decoding: bytes[start..<index], as: UTF8.self)
            guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" })
            else { return false }
        }
        return true
    }

    private static func isTag(_ tag: Substring) -> Bool {
        guard let first = tag.first, tag.count <= 128, first.isASCII, first.isLetter || first.isNumber || first == "_"
        else { return false }
        return tag.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }
}
