#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ImagePlatform {
    /// containerd's `platforms.Normalize`: lower case, Go's architecture names (`x86_64` → `amd64`,
    /// `aarch64` → `arm64`), `arm64/v8` → `arm64` (v8 is the default), `arm` → `arm/v7`.
    public var normalized: ImagePlatform {
        var os = os.lowercased()
        if os == "macos" { os = "darwin" }
        var architecture = architecture.lowercased()
        var variant = variant?.lowercased() ?? ""
        switch architecture {
        case "i386":
            architecture = "386"
            variant = ""
        case "x86_64", "x86-64", "amd64":
            architecture = "amd64"
            if variant == "v1" { variant = "" }
        case "aarch64", "arm64":
            architecture = "arm64"
            switch variant {
            case "8", "v8", "v8.0": variant = ""
            case "9", "9.0", "v9.0": variant = "v9"
            default: break
            }
        case "armhf":
            architecture = "arm"
            variant = "v7"
        case "armel":
            architecture = "arm"
            variant = "v6"
        case "arm":
            switch variant {
            case "", "7": variant = "v7"
            case "5", "6", "8": variant = "v" + variant
            default: break
            }
        default:
            break
        }
        return ImagePlatform(
            os: os, architecture: architecture, variant: variant.isEmpty ? nil : variant, osVersion: osVersion)
    }

    /// The platform of this machine, as Go names it (`uname -m` `x86_64` is `amd64`).
    public static func host() -> ImagePlatform {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let (architecture, variant): (String, String?) =
            switch machine {
            case "i686", "i586", "i486": ("386", nil)
            case "armv7l", "armv7": ("arm", "v7")
            case "armv6l", "armv6": ("arm", "v6")
            case "armv5tel", "armv5": ("arm", "v5")
            default: (machine, nil)
            }
        #if os(Linux)
            let os = "linux"
        #else
            let os = "darwin"
        #endif
        return ImagePlatform(os: os, architecture: architecture, variant: variant).normalized
    }
}

/// Chooses among the platforms of an index as containerd's `platforms.Only` does for pulls: the node's own
/// platform first, then the ones it can also run, in order (`amd64` runs `386`; `arm64` runs `arm/v8` down to
/// `arm/v5`; `arm/v7` runs `arm/v6` and `arm/v5`; `amd64/v3` runs `v2` and `v1`).
public struct PlatformMatcher: Hashable, Sendable {
    /// Acceptable platforms, normalised, best first.
    public let candidates: [ImagePlatform]

    public init(_ platform: ImagePlatform) {
        candidates = Self.vector(platform.normalized)
    }

    /// Whether an image of `platform` runs here.
    public func matches(_ platform: ImagePlatform) -> Bool { rank(platform) != nil }

    /// The position of `platform` in the preference order, or nil when it does not run here.
    public func rank(_ platform: ImagePlatform) -> Int? {
        let normalized = platform.normalized
        return candidates.firstIndex {
            $0.os == normalized.os && $0.architecture == normalized.architecture && $0.variant == normalized.variant
        }
    }

    /// The best manifest of an index for this platform (the first of equally good ones), or nil.
    public func select(from manifests: [Descriptor]) -> Descriptor? {
        var best: (rank: Int, descriptor: Descriptor)?
        for descriptor in manifests {
            guard let platform = descriptor.platform, let rank = rank(platform) else { continue }
            if rank < best?.rank ?? .max { best = (rank, descriptor) }
        }
        return best?.descriptor
    }

    private static func vector(_ platform: ImagePlatform) -> [ImagePlatform] {
        var vector = [platform]
        func variant(_ architecture: String, _ number: Int) -> ImagePlatform {
            ImagePlatform(
                os: platform.os, architecture: architecture, variant: "v\(number)", osVersion: platform.osVersion)
        }
        let version = platform.variant.flatMap { Int($0.dropFirst($0.hasPrefix("v") ? 1 : 0)) }
        switch platform.architecture {
        case "amd64":
            if let version, version > 1 {
                for lower in stride(from: version - 1, through: 2, by: -1) { vector.append(variant("amd64", lower)) }
                // v1 is normalised away: plain amd64.
                vector.append(ImagePlatform(os: platform.os, architecture: "amd64", osVersion: platform.osVersion))
            }
            vector.append(ImagePlatform(os: platform.os, architecture: "386", osVersion: platform.osVersion))
        case "arm":
            if let version, version > 5 {
                for lower in stride(from: version - 1, through: 5, by: -1) { vector.append(variant("arm", lower)) }
            }
        case "arm64":
            vector += Self.vector(
                ImagePlatform(
                    os: platform.os, architecture: "arm", variant: platform.variant ?? "v8",
                    osVersion: platform.osVersion))
        default:
            break
        }
        return vector
    }
}
