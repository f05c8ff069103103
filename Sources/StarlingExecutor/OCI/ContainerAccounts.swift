import Foundation
import StarlingModel

#if canImport(Glibc)
    import Glibc
#endif

/// A container's user database: the `/etc/passwd` and `/etc/group` of its root file system, parsed as runc's
/// `libcontainer/user` parses them. A missing file is an empty database.
public struct ContainerAccounts: Sendable, Equatable {
    /// One `/etc/passwd` entry.
    public struct User: Sendable, Equatable {
        public var name: String
        public var uid: Int
        public var gid: Int
        public var home: String
    }

    /// One `/etc/group` entry.
    public struct Group: Sendable, Equatable {
        public var name: String
        public var gid: Int
        public var members: [String]
    }

    public var users: [User]
    public var groups: [Group]

    /// Parses the files' contents; `nil` for a file the root file system does not have.
    public init(passwd: String?, group: String?) {
        users = Self.lines(passwd).compactMap { fields in
            // name:password:uid:gid:gecos:home:shell
            guard fields.count >= 4, let uid = Int(fields[2]), let gid = Int(fields[3]) else { return nil }
            return User(name: fields[0], uid: uid, gid: gid, home: fields.count > 5 ? fields[5] : "")
        }
        groups = Self.lines(group).compactMap { fields in
            // name:password:gid:member,member
            guard fields.count >= 3, let gid = Int(fields[2]) else { return nil }
            let members = fields.count > 3 ? fields[3].split(separator: ",").map(String.init) : []
            return Group(name: fields[0], gid: gid, members: members)
        }
    }

    private static func lines(_ text: String?) -> [[String]] {
        guard let text else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
            return trimmed.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// Reads `etc/passwd` and `etc/group` under `rootFileSystem`. A symbolic link is followed inside the root file
    /// system (an absolute target is taken relative to it), never out into the host's.
    public static func load(rootFileSystem: String) -> ContainerAccounts {
        ContainerAccounts(
            passwd: readInside(rootFileSystem, "/etc/passwd"), group: readInside(rootFileSystem, "/etc/group"))
    }

    private static func readInside(_ root: String, _ path: String) -> String? {
        var current = path
        for _ in 0..<16 {
            let host = root + current
            var info = stat()
            guard lstat(host, &info) == 0 else { return nil }
            guard (info.st_mode & S_IFMT) == S_IFLNK else {
                guard (info.st_mode & S_IFMT) == S_IFREG else { return nil }
                return try? String(contentsOfFile: host, encoding: .utf8)
            }
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = readlink(host, &buffer, buffer.count - 1)
            guard count > 0 else { return nil }
            let target = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let directory = current.split(separator: "/").dropLast().joined(separator: "/")
            current = ContainerCommand.clean(target.hasPrefix("/") ? target : "/" + directory + "/" + target)
        }
        return nil
    }
}

extension ContainerAccounts {
    /// Resolves a container's `User` (`user`, `uid`, `user:group`, `uid:gid`, or empty for root) and the task's
    /// extra groups into the process's IDs, as runc's `GetExecUser` and dockerd's `getUser` do: a name must exist,
    /// a number need not; a user found in the database gets its primary group and, unless a group is given, the
    /// groups that list it as a member. `additionalGids` starts with the primary group (dockerd since 23.0).
    public func resolve(_ spec: String, extraGroups: [String] = []) throws(StarlingError) -> OCISpec.User {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts[0]
        let groupPart = parts.count > 1 ? parts[1] : ""

        var uid = 0
        var gid = 0
        var matchedName: String?
        let numericUser = Int(userPart)
        let found = users.first { user in
            if userPart.isEmpty { return user.uid == 0 }
            if let numericUser { return user.uid == numericUser }
            return user.name == userPart
        }
        if let found {
            (uid, gid, matchedName) = (found.uid, found.gid, found.name)
        } else if !userPart.isEmpty {
            guard let numericUser else {
                throw .invalidArgument("unable to find user \(userPart): no matching entries in passwd file")
            }
            uid = try Self.checkRange(numericUser)
        }

        var supplementary: [Int] = []
        if !groupPart.isEmpty {
            if let group = groups.first(where: { group in
                Int(groupPart).map { group.gid == $0 } ?? (group.name == groupPart)
            }) {
                gid = group.gid
            } else if let numeric = Int(groupPart) {
                gid = try Self.checkRange(numeric)
            } else {
                throw .invalidArgument("unable to find group \(groupPart): no matching entries in group file")
            }
        } else if let matchedName {
            supplementary = groups.filter { $0.members.contains(matchedName) }.map(\.gid)
        }

        for extra in extraGroups {
            if let group = groups.first(where: { $0.name == extra || Int(extra) == $0.gid }) {
                supplementary.append(group.gid)
            } else if let numeric = Int(extra) {
                supplementary.append(try Self.checkRange(numeric))
            } else {
                throw .invalidArgument("Unable to find group \(extra)")
            }
        }
        return OCISpec.User(
            uid: UInt32(uid), gid: UInt32(gid), additionalGids: ([gid] + supplementary).map { UInt32($0) })
    }

    private static func checkRange(_ id: Int) throws(StarlingError) -> Int {
        guard (0...Int(Int32.max)).contains(id) else {
            throw .invalidArgument("uids and gids must be in range 0-\(Int32.max)")
        }
        return id
    }
}
