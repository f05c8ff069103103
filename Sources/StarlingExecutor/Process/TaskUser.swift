import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// An account in the machine's user database.
public struct Account: Sendable, Equatable {
    public var name: String
    public var uid: UInt32
    public var gid: UInt32
    public var home: String

    public init(name: String, uid: UInt32, gid: UInt32, home: String) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
    }
}

/// The user and group look-ups a task's `User` needs, behind a protocol so resolution is tested without touching
/// `/etc/passwd`.
public protocol AccountDatabase: Sendable {
    func user(named name: String) -> Account?
    func user(id: UInt32) -> Account?
    func group(named name: String) -> UInt32?
    /// Every group `user` belongs to, its primary group `gid` included.
    func groups(of user: String, primary gid: UInt32) -> [UInt32]
}

/// Who a task's processes run as.
public struct Credentials: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups.
    public var groups: [UInt32]
    /// The account's home directory, for `HOME` when the task does not set it.
    public var home: String

    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = [], home: String = "/") {
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.home = home
    }

    /// Resolves a `ContainerSpec.User` as Docker (runc) does: `user`, `uid`, `user:group`, `uid:gid` or mixed. A
    /// name must exist; a number need not (the group is then 0 and the home `/`). Supplementary groups come from
    /// the group database when the user is named in it and no group is given explicitly.
    public static func resolve(_ spec: String, in database: any AccountDatabase) throws -> Credentials {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let groupPart = parts.count > 1 ? parts[1] : ""
        guard !userPart.isEmpty else { throw StarlingError.invalidArgument("invalid user \"\(spec)\"") }

        let account: Account?
        var credentials: Credentials
        if let uid = UInt32(userPart) {
            account = database.user(id: uid)
            credentials = Credentials(uid: uid, gid: account?.gid ?? 0, home: account?.home ?? "/")
        } else {
            guard let found = database.user(named: userPart) else {
                throw StarlingError.invalidArgument(
                    "unable to find user \(userPart): no matching entries in passwd file")
            }
            account = found
            credentials = Credentials(uid: found.uid, gid: found.gid, home: found.home)
        }

        if groupPart.isEmpty {
            if let account {
                credentials.groups = database.groups(of: account.name, primary: account.gid)
            }
        } else if let gid = UInt32(groupPart) {
            credentials.gid = gid
        } else if let gid = database.group(named: groupPart) {
            credentials.gid = gid
        } else {
            throw StarlingError.invalidArgument(
                "unable to find group \(groupPart): no matching entries in group file")
        }
        return credentials
    }
}

/// `AccountDatabase` over the C library (`getpwnam_r`, `getgrnam_r`, `getgrouplist`).
public struct SystemAccountDatabase: AccountDatabase {
    public init() {}

    public func user(named name: String) -> Account? {
        lookUpUser { getpwnam_r(name, &$0, $1, $2, &$3) }
    }

    public func user(id: UInt32) -> Account? {
        lookUpUser { getpwuid_r(id, &$0, $1, $2, &$3) }
    }

    public func group(named name: String) -> UInt32? {
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = buffer.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return ERANGE }
            return getgrnam_r(name, &entry, base, buffer.count, &result)
        }
        guard status == 0, result != nil else { return nil }
        return entry.gr_gid
    }

    public func groups(of user: String, primary gid: UInt32) -> [UInt32] {
        var count: Int32 = 64
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            let capacity = count
            if getgrouplist(user, gid, &groups, &count) >= 0 { return Array(groups.prefix(Int(count))) }
            // Too small: `count` now holds the size needed.
            guard count > capacity else { return [gid] }
        }
    }

    private func lookUpUser(
        _ call: (
            inout passwd, UnsafeMutablePointer<CChar>, Int, inout UnsafeMutablePointer<passwd>?
        ) -> Int32
    ) -> Account? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        return buffer.withUnsafeMutableBufferPointer { buffer -> Account? in
            guard let base = buffer.baseAddress, call(&entry, base, buffer.count, &result) == 0, result != nil else {
                return nil
            }
            return Account(
                name: String(cString: entry.pw_name), uid: entry.pw_uid, gid: entry.pw_gid,
                home: entry.pw_dir.map { String(cString: $0) } ?? "/")
        }
    }
}
