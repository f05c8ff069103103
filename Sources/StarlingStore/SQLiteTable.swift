import Foundation
import GRDB

/// The SQLite schema of the store and the `RevisionedTable` over one open database transaction.
///
/// Keys are stored as BLOBs of their UTF-8 bytes so that SQLite orders them byte-wise, as etcd does, and a prefix is
/// a range `[prefix, prefixEnd)` that uses the primary key.
struct SQLiteTable: RevisionedTable {
    let db: Database

    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE kv (
                        key BLOB PRIMARY KEY NOT NULL,
                        value BLOB NOT NULL,
                        create_rev INTEGER NOT NULL,
                        mod_rev INTEGER NOT NULL,
                        version INTEGER NOT NULL,
                        lease INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX kv_by_lease ON kv(lease) WHERE lease IS NOT NULL;
                    -- One row per changed key per revision. A put keeps the key as written; a delete keeps the key as
                    -- it was before (its prevKV), the tombstone being derived from it.
                    CREATE TABLE events (
                        rev INTEGER NOT NULL,
                        sub INTEGER NOT NULL,
                        kind INTEGER NOT NULL,
                        key BLOB NOT NULL,
                        value BLOB NOT NULL,
                        create_rev INTEGER NOT NULL,
                        mod_rev INTEGER NOT NULL,
                        version INTEGER NOT NULL,
                        lease INTEGER,
                        PRIMARY KEY (rev, sub)
                    ) WITHOUT ROWID;
                    CREATE TABLE leases (id INTEGER PRIMARY KEY, ttl_ns INTEGER NOT NULL);
                    CREATE TABLE meta (
                        id INTEGER PRIMARY KEY CHECK (id = 0),
                        revision INTEGER NOT NULL,
                        compact_rev INTEGER NOT NULL,
                        last_lease INTEGER NOT NULL
                    );
                    INSERT INTO meta (id, revision, compact_rev, last_lease) VALUES (0, 1, 0, 0);
                    """)
        }
        return migrator
    }

    // MARK: Revisions

    func revision() throws -> Revision {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT revision FROM meta WHERE id = 0")) ?? 1
    }

    func setRevision(_ revision: Revision) throws {
        try db.cachedStatement(sql: "UPDATE meta SET revision = ? WHERE id = 0").execute(arguments: [revision])
    }

    func compactedRevision() throws -> Revision {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT compact_rev FROM meta WHERE id = 0")) ?? 0
    }

    func setCompactedRevision(_ revision: Revision) throws {
        try db.cachedStatement(sql: "UPDATE meta SET compact_rev = ? WHERE id = 0").execute(arguments: [revision])
    }

    // MARK: Keys

    private static let columns = "key, value, create_rev, mod_rev, version, lease"

    func get(_ key: String) throws -> KeyValue? {
        let statement = try db.cachedStatement(sql: "SELECT \(Self.columns) FROM kv WHERE key = ?")
        return try Row.fetchOne(statement, arguments: [Data(key.utf8)]).map(Self.keyValue)
    }

    func range(prefix: String) throws -> [KeyValue] {
        let rows: [Row]
        if let end = Self.prefixEnd(prefix) {
            let statement = try db.cachedStatement(
                sql: "SELECT \(Self.columns) FROM kv WHERE key >= ? AND key < ? ORDER BY key")
            rows = try Row.fetchAll(statement, arguments: [Data(prefix.utf8), end])
        } else {
            let statement = try db.cachedStatement(sql: "SELECT \(Self.columns) FROM kv WHERE key >= ? ORDER BY key")
            rows = try Row.fetchAll(statement, arguments: [Data(prefix.utf8)])
        }
        return rows.map(Self.keyValue)
    }

    func upsert(_ kv: KeyValue) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO kv (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?)")
        try statement.execute(arguments: [
            Data(kv.key.utf8), Data(kv.value), kv.createRevision, kv.modRevision, kv.version, kv.lease?.rawValue,
        ])
    }

    func remove(_ key: String) throws {
        try db.cachedStatement(sql: "DELETE FROM kv WHERE key = ?").execute(arguments: [Data(key.utf8)])
    }

    func keys(attachedTo lease: LeaseID) throws -> [String] {
        let statement = try db.cachedStatement(sql: "SELECT key FROM kv WHERE lease = ?")
        return try Data.fetchAll(statement, arguments: [lease.rawValue]).map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Leases

    func ttl(of lease: LeaseID) throws -> Duration? {
        let statement = try db.cachedStatement(sql: "SELECT ttl_ns FROM leases WHERE id = ?")
        return try Int64.fetchOne(statement, arguments: [lease.rawValue]).map { .nanoseconds($0) }
    }

    func insertLease(_ lease: Lease) throws {
        try db.execute(
            sql: "INSERT INTO leases (id, ttl_ns) VALUES (?, ?)",
            arguments: [lease.id.rawValue, Self.nanoseconds(lease.ttl)])
    }

    func removeLease(_ id: LeaseID) throws {
        try db.execute(sql: "DELETE FROM leases WHERE id = ?", arguments: [id.rawValue])
    }

    func allocateLeaseID() throws -> LeaseID {
        try db.execute(sql: "UPDATE meta SET last_lease = last_lease + 1 WHERE id = 0")
        return LeaseID(try Int64.fetchOne(db, sql: "SELECT last_lease FROM meta WHERE id = 0") ?? 1)
    }

    func allLeases() throws -> [Lease] {
        try Row.fetchAll(db, sql: "SELECT id, ttl_ns FROM leases").map {
            Lease(id: LeaseID($0[0] as Int64), ttl: .nanoseconds($0[1] as Int64))
        }
    }

    // MARK: History

    func appendHistory(_ batch: WatchBatch) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO events (rev, sub, kind, key, value, create_rev, mod_rev, version, lease)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for (sub, event) in batch.events.enumerated() {
            // A delete keeps what was deleted; its tombstone is rebuilt from it.
            let kv = event.kind == .put ? event.kv : (event.prevKV ?? event.kv)
            try statement.execute(arguments: [
                batch.revision, sub, event.kind == .put ? 0 : 1, Data(kv.key.utf8), Data(kv.value), kv.createRevision,
                kv.modRevision, kv.version, kv.lease?.rawValue,
            ])
        }
    }

    func removeHistory(before revision: Revision) throws {
        try db.execute(sql: "DELETE FROM events WHERE rev < ?", arguments: [revision])
    }

    /// Up to about `limit` events under `prefix` in `from...through`, as whole revisions, and the next revision to
    /// read. One revision with more events than `limit` is returned whole.
    func history(
        prefix: String, from: Revision, through: Revision, limit: Int
    ) throws -> (
        batches: [WatchBatch], next: Revision
    ) {
        let compacted = try compactedRevision()
        guard from >= compacted else { throw RevisionCompacted(requested: from, oldestAvailable: compacted) }
        var rows = try historyRows(prefix: prefix, from: from, through: through, limit: limit)
        var next = through + 1
        if rows.count == limit, let first = rows.first?[0] as Revision?, let last = rows.last?[0] as Revision? {
            if first == last {
                rows = try historyRows(prefix: prefix, from: first, through: first, limit: nil)
                next = first + 1
            } else {
                rows.removeAll { ($0[0] as Revision) == last }
                next = last
            }
        }
        var batches: [WatchBatch] = []
        for row in rows {
            let revision: Revision = row[0]
            let kv = KeyValue(
                key: String(decoding: row[2] as Data, as: UTF8.self), value: [UInt8](row[3] as Data),
                createRevision: row[4], modRevision: row[5], version: row[6],
                lease: (row[7] as Int64?).map { LeaseID($0) })
            let event = (row[1] as Int) == 0 ? WatchEvent(kind: .put, kv: kv) : .deletion(of: kv, at: revision)
            if batches.last?.revision == revision {
                batches[batches.count - 1].events.append(event)
            } else {
                batches.append(WatchBatch(revision: revision, events: [event]))
            }
        }
        return (batches, next)
    }

    private func historyRows(prefix: String, from: Revision, through: Revision, limit: Int?) throws -> [Row] {
        var sql =
            "SELECT rev, kind, key, value, create_rev, mod_rev, version, lease FROM events WHERE rev >= ? AND rev <= ?"
        var arguments: StatementArguments = [from, through]
        if !prefix.isEmpty {
            sql += " AND key >= ?"
            arguments += [Data(prefix.utf8)]
            if let end = Self.prefixEnd(prefix) {
                sql += " AND key < ?"
                arguments += [end]
            }
        }
        sql += " ORDER BY rev, sub"
        if let limit { sql += " LIMIT \(limit)" }
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }

    // MARK: Helpers

    private static func keyValue(_ row: Row) -> KeyValue {
        KeyValue(
            key: String(decoding: row[0] as Data, as: UTF8.self), value: [UInt8](row[1] as Data),
            createRevision: row[2], modRevision: row[3], version: row[4], lease: (row[5] as Int64?).map { LeaseID($0) })
    }

    /// The smallest byte string greater than every string starting with `prefix`; `nil` when there is none (the
    /// empty prefix, or one of 0xFF bytes only).
    static func prefixEnd(_ prefix: String) -> Data? {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return nil
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
