import StarlingPKI
import Testing

@Suite("Join tokens")
struct JoinTokenTests {
    /// 0x01, 0x02, ... 0x20.
    let digest: [UInt8] = Array(1...32)
    let digestBase36 = "00wjzlh5yt3uk0mzpcor0i12ol0rrpxdydzggt4b2fvr8yealc"

    @Test func generatedTokenHasDockersFormat() {
        var generator = SeededGenerator(seed: 42)
        let token = JoinToken.generate(caDigest: digest, using: &generator)
        // The secret is the generator's two 64-bit words, big-endian, in base 36 (computed independently).
        #expect(token.secret == "b8lrvphg9oewiowfj320dp4oz")
        #expect(token.description == "SWMTKN-1-\(digestBase36)-b8lrvphg9oewiowfj320dp4oz")
        #expect(token.description.count == "SWMTKN-1-".count + 50 + 1 + 25)
    }

    @Test func sameSeedSameTokenDifferentSeedDifferentSecret() {
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        var third = SeededGenerator(seed: 8)
        let a = JoinToken.generate(caDigest: digest, using: &first)
        #expect(a == JoinToken.generate(caDigest: digest, using: &second))
        #expect(a != JoinToken.generate(caDigest: digest, using: &third))
    }

    @Test func extremeDigestsArePaddedAndRoundTrip() throws {
        var generator = SeededGenerator(seed: 1)
        let zero = JoinToken.generate(caDigest: [UInt8](repeating: 0, count: 32), using: &generator)
        #expect(zero.description.hasPrefix("SWMTKN-1-" + String(repeating: "0", count: 50) + "-"))
        let max = JoinToken.generate(caDigest: [UInt8](repeating: 0xff, count: 32), using: &generator)
        #expect(max.description.hasPrefix("SWMTKN-1-6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtof-"))
        for token in [zero, max] {
            let parsed = try JoinToken(parsing: token.description)
            #expect(parsed == token)
            #expect(parsed.caDigest == token.caDigest)
            #expect(parsed.secret == token.secret)
        }
    }

    @Test func parsesAndMatchesItsCA() throws {
        let ca = try RootCA.create(now: fixedNow)
        let other = try RootCA.create(now: fixedNow)
        let token = JoinToken.generate(for: ca)
        let parsed = try JoinToken(parsing: token.description)
        #expect(parsed.caDigest == ca.digest)
        #expect(parsed.matches(caDigest: ca.digest))
        #expect(!parsed.matches(caDigest: other.digest))
        try parsed.check(rootCA: ca)
        #expect(throws: JoinTokenError.rootCAMismatch(expected: ca.digestHex)) {
            try parsed.check(rootCA: other)
        }
        let error = JoinTokenError.rootCAMismatch(expected: ca.digestHex)
        #expect(error.description == "remote CA does not match fingerprint. Expected: sha256:\(ca.digestHex)")
    }

    @Test func tokensForTheSameCADifferInTheirSecret() throws {
        let ca = try RootCA.create(now: fixedNow)
        let worker = JoinToken.generate(for: ca)
        let manager = JoinToken.generate(for: ca)
        #expect(worker != manager)
        #expect(worker.caDigest == manager.caDigest)
        #expect(try JoinToken(parsing: worker.description) == worker)
    }

    @Test(arguments: [
        ("", JoinTokenError.wrongPrefix),
        ("SWMTKX-1-a-b", .wrongPrefix),
        ("swmtkn-1-a-b", .wrongPrefix),
        ("SWMTKN", .wrongPartCount(1)),
        (
            "SWMTKN-2-1-\(String(repeating: "0", count: 50))-\(String(repeating: "0", count: 25))",
            .unsupportedVersion("2")
        ),
        ("SWMTKN-x-a-b", .unsupportedVersion("x")),
        ("SWMTKN-1-a", .wrongPartCount(3)),
        ("SWMTKN-1-a-b-c", .wrongPartCount(5)),
        ("SWMTKN-1-\(String(repeating: "0", count: 49))-\(String(repeating: "0", count: 25))", .wrongDigestLength(49)),
        ("SWMTKN-1-\(String(repeating: "0", count: 51))-\(String(repeating: "0", count: 25))", .wrongDigestLength(51)),
        ("SWMTKN-1-\(String(repeating: "0", count: 50))-\(String(repeating: "0", count: 24))", .wrongSecretLength(24)),
        ("SWMTKN-1-\(String(repeating: "0", count: 50))-\(String(repeating: "0", count: 26))", .wrongSecretLength(26)),
        (
            "SWMTKN-1-\(String(repeating: "0", count: 49))!-\(String(repeating: "0", count: 25))",
            .notBase36(part: "digest")
        ),
        (
            "SWMTKN-1-\(String(repeating: "0", count: 49))A-\(String(repeating: "0", count: 25))",
            .notBase36(part: "digest")
        ),
        (
            "SWMTKN-1-\(String(repeating: "0", count: 50))-\(String(repeating: "0", count: 24))_",
            .notBase36(part: "secret")
        ),
        ("SWMTKN-1-\(String(repeating: "z", count: 50))-\(String(repeating: "0", count: 25))", .digestOutOfRange),
    ])
    func malformedTokensSayWhatIsWrong(text: String, expected: JoinTokenError) {
        #expect(throws: expected) { try JoinToken(parsing: text) }
        #expect(expected.description.hasPrefix("invalid join token"))
    }

    @Test func errorDescriptionsAreDockersWordingWithTheReason() {
        #expect(JoinTokenError.wrongPrefix.description == "invalid join token: it must start with SWMTKN-")
        #expect(
            JoinTokenError.wrongSecretLength(3).description
                == "invalid join token: the secret must be 25 characters, found 3")
    }
}
