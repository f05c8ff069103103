/// A swarm join token in Docker's format: `SWMTKN-1-<CA digest>-<secret>`, where the digest is the SHA-256 of the
/// root CA certificate in base 36 (50 characters, zero-padded) and the secret is 128 random bits in base 36
/// (25 characters, zero-padded). The digest lets a joining node check the CA it is handed before trusting it;
/// the secret is what the manager checks before it issues a certificate.
///
/// Equality compares the secret in constant time.
public struct JoinToken: Sendable, Equatable, CustomStringConvertible {
    /// The SHA-256 digest of the root CA certificate (32 bytes).
    public let caDigest: [UInt8]
    /// 25 base-36 characters.
    public let secret: String

    static let prefix = "SWMTKN"
    static let version = "1"
    static let digestLength = 50
    static let secretLength = 25

    /// A new token for the CA whose digest is `caDigest`, with a secret drawn from `generator`.
    public static func generate(caDigest: [UInt8], using generator: inout some RandomNumberGenerator) -> JoinToken {
        var secretBytes: [UInt8] = []
        for _ in 0..<2 {
            let word = UInt64.random(in: .min ... .max, using: &generator)
            secretBytes += withUnsafeBytes(of: word.bigEndian) { Array($0) }
        }
        return JoinToken(caDigest: caDigest, secret: Base36.encode(secretBytes, width: secretLength))
    }

    /// A new token for `ca`, with a secret from the system's secure random number generator.
    public static func generate(for ca: RootCA) -> JoinToken {
        var generator = SystemRandomNumberGenerator()
        return generate(caDigest: ca.digest, using: &generator)
    }

    private init(caDigest: [UInt8], secret: String) {
        self.caDigest = caDigest
        self.secret = secret
    }

    /// Parses a token, saying precisely what is wrong with a malformed one.
    public init(parsing text: String) throws(JoinTokenError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == Self.prefix else { throw .wrongPrefix }
        guard parts.count >= 2 else { throw .wrongPartCount(parts.count) }
        guard parts[1] == Self.version else { throw .unsupportedVersion(parts[1]) }
        guard parts.count == 4 else { throw .wrongPartCount(parts.count) }
        let (digestText, secret) = (parts[2], parts[3])
        guard digestText.utf8.count == Self.digestLength else { throw .wrongDigestLength(digestText.utf8.count) }
        guard secret.utf8.count == Self.secretLength else { throw .wrongSecretLength(secret.utf8.count) }
        guard let digest = Base36.decode(digestText, byteCount: 32) else {
            throw Base36.isBase36(digestText) ? .digestOutOfRange : .notBase36(part: "digest")
        }
        guard Base36.isBase36(secret) else { throw .notBase36(part: "secret") }
        self.init(caDigest: digest, secret: secret)
    }

    /// The token text.
    public var description: String {
        "\(Self.prefix)-\(Self.version)-\(Base36.encode(caDigest, width: Self.digestLength))-\(secret)"
    }

    /// Whether the token names the CA whose digest is `caDigest`.
    public func matches(caDigest: [UInt8]) -> Bool {
        constantTimeEqual(self.caDigest, caDigest)
    }

    /// Throws `rootCAMismatch` unless the token names `ca`: what a joining node checks on the CA a manager sent.
    public func check(rootCA ca: RootCA) throws(JoinTokenError) {
        guard matches(caDigest: ca.digest) else {
            throw .rootCAMismatch(expected: caDigest.map { hex($0) }.joined())
        }
    }

    public static func == (lhs: JoinToken, rhs: JoinToken) -> Bool {
        // Both comparisons always run, so the time taken does not say which part differed.
        let digests = constantTimeEqual(lhs.caDigest, rhs.caDigest)
        let secrets = constantTimeEqual(Array(lhs.secret.utf8), Array(rhs.secret.utf8))
        return digests && secrets
    }
}

/// Why a join token was refused. Descriptions start with Docker's "invalid join token".
public enum JoinTokenError: Error, Hashable, Sendable, CustomStringConvertible {
    case wrongPrefix
    case unsupportedVersion(String)
    case wrongPartCount(Int)
    case wrongDigestLength(Int)
    case wrongSecretLength(Int)
    case notBase36(part: String)
    case digestOutOfRange
    /// The CA a manager presented is not the one the token names (Docker's wording).
    case rootCAMismatch(expected: String)

    public var description: String {
        switch self {
        case .wrongPrefix: "invalid join token: it must start with SWMTKN-"
        case .unsupportedVersion(let version): "invalid join token: unsupported version '\(version)' (expected 1)"
        case .wrongPartCount(let count):
            "invalid join token: expected 4 parts separated by '-' (SWMTKN-1-<digest>-<secret>), found \(count)"
        case .wrongDigestLength(let length):
            "invalid join token: the CA digest must be \(JoinToken.digestLength) characters, found \(length)"
        case .wrongSecretLength(let length):
            "invalid join token: the secret must be \(JoinToken.secretLength) characters, found \(length)"
        case .notBase36(let part): "invalid join token: the \(part) must be lowercase base 36 (0-9, a-z)"
        case .digestOutOfRange: "invalid join token: the CA digest is larger than 256 bits"
        case .rootCAMismatch(let expected): "remote CA does not match fingerprint. Expected: sha256:\(expected)"
        }
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}

/// Big-endian unsigned integers of any width to and from lowercase base 36.
enum Base36 {
    private static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    static func isBase36(_ text: String) -> Bool {
        text.utf8.allSatisfy { digit($0) != nil }
    }

    private static func digit(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Base 36 of the number whose big-endian bytes are `bytes`, left-padded with zeros to `width`.
    static func encode(_ bytes: [UInt8], width: Int) -> String {
        var number = bytes
        var digits: [UInt8] = []
        while number.contains(where: { $0 != 0 }) {
            // Long division of the whole number by 36; the remainder is the next digit.
            var remainder = 0
            for index in number.indices {
                let value = remainder * 256 + Int(number[index])
                number[index] = UInt8(value / 36)
                remainder = value % 36
            }
            digits.append(alphabet[remainder])
        }
        while digits.count < width { digits.append(UInt8(ascii: "0")) }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// The big-endian bytes (exactly `byteCount` of them) of a base-36 number, or nil if a character is not a
    /// base-36 digit or the number does not fit.
    static func decode(_ text: String, byteCount: Int) -> [UInt8]? {
        var number = [UInt8](repeating: 0, count: byteCount)
        for character in text.utf8 {
            guard let digit = digit(character) else { return nil }
            var carry = Int(digit)
            for index in number.indices.reversed() {
                let value = Int(number[index]) * 36 + carry
                number[index] = UInt8(value & 0xff)
                carry = value >> 8
            }
            guard carry == 0 else { return nil }
        }
        return number
    }
}
