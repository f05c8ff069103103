import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingStore

/// Leases expire on the injected clock, and take their keys with them.
@Suite struct LeaseTests {
    @Test(arguments: Backend.allCases)
    func expiredLeaseDeletesItsKeysInOneRevision(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        let lease = try await store.grantLease(ttl: .seconds(10))
        #expect(lease.ttl == .seconds(10))
        _ = try await store.put("/leader", value: "me".bytes, lease: lease.id)
        _ = try await store.put("/alive/a", value: [], lease: lease.id)
        _ = try await store.put("/other", value: [])
        #expect(try await store.get("/leader")?.lease == lease.id)
        let watch = try await store.watch(prefix: "/", fromRevision: 5)

        fixture.clock.advance(by: .seconds(9))
        #expect(try await store.expireLeases().isEmpty)
        _ = try await store.keepAlive(lease.id)
        fixture.clock.advance(by: .seconds(9))
        #expect(try await store.expireLeases().isEmpty, "keepAlive restarted the TTL")

        fixture.clock.advance(by: .seconds(1))
        #expect(try await store.expireLeases() == [lease.id])
        #expect(try await store.get("/leader") == nil)
        #expect(try await store.get("/alive/a") == nil)
        #expect(try await store.get("/other") != nil)
        #expect(try await store.currentRevision == 5)

        let batches = try await collect(watch, through: 5)
        #expect(batches.map(\.revision) == [5])
        #expect(batches[0].events.map(\.kind) == [.delete, .delete])
        #expect(batches[0].events.map(\.kv.key) == ["/alive/a", "/leader"])
        #expect(batches[0].events.map { $0.prevKV?.lease } == [lease.id, lease.id])

        await #expect(throws: StarlingError.self) { try await store.keepAlive(lease.id) }
        await #expect(throws: StarlingError.self) { try await store.put("/late", value: [], lease: lease.id) }
    }

    @Test(arguments: Backend.allCases)
    func revokeDeletesOnlyTheKeysStillAttached(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        let lease = try await store.grantLease(ttl: .seconds(5))
        let other = try await store.grantLease(ttl: .seconds(5))
        #expect(lease.id != other.id)
        _ = try await store.put("/a", value: [], lease: lease.id)
        _ = try await store.put("/b", value: [], lease: lease.id)
        _ = try await store.put("/b", value: [])  // a put without a lease detaches the key
        _ = try await store.put("/c", value: [], lease: other.id)
        #expect(try await store.revokeLease(lease.id) == 6)
        #expect(try await store.get("/a") == nil)
        #expect(try await store.get("/b") != nil)
        #expect(try await store.get("/c") != nil)
        await #expect(throws: StarlingError.self) { try await store.revokeLease(lease.id) }
        let empty = try await store.grantLease(ttl: .seconds(1))
        #expect(try await store.revokeLease(empty.id) == nil, "a lease without keys revokes without a revision")
        #expect(try await store.currentRevision == 6)
    }

    @Test(arguments: Backend.allCases)
    func putWithAnUnknownLeaseIsRefused(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        await #expect(throws: StarlingError.notFound("lease 42 not found")) {
            try await store.put("/x", value: [], lease: LeaseID(42))
        }
        await #expect(throws: StarlingError.self) { try await store.grantLease(ttl: .zero) }
        #expect(try await store.currentRevision == 1)
    }

    @Test(arguments: Backend.allCases)
    func leaseExpiryLoopFollowsTheClock(_ backend: Backend) async throws {
        let fixture = try StoreFixture(backend)
        defer { fixture.finish() }
        let store = fixture.store
        let lease = try await store.grantLease(ttl: .seconds(3))
        _ = try await store.put("/session", value: [], lease: lease.id)
        let watch = try await store.watch(prefix: "/session", fromRevision: 3)
        let expiry = LeaseExpiry(store: store, clock: fixture.clock, interval: .seconds(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await expiry.run() }
            for _ in 0..<3 {
                await fixture.clock.waitForSleepers()
                fixture.clock.advance(by: .seconds(1))
            }
            let batches = try await collect(watch, through: 3)
            #expect(batches.first?.events.first?.kind == .delete)
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(try await store.get("/session") == nil)
    }
}
