import Foundation
import StarlingModel
import Testing

@testable import StarlingExecutor

/// User resolution in a container's own `/etc/passwd` and `/etc/group`, as runc's `GetExecUser` and dockerd's
/// `getUser` do it.
@Suite struct OCIUserTests {
    let accounts = ContainerAccounts(
        passwd: """
            root:x:0:0:root:/root:/bin/sh
            # a comment
            daemon:x:1:1:daemon:/usr/sbin:/bin/false
            app:x:1000:1000:App:/home/app:/bin/sh

            """,
        group: """
            root:x:0:
            wheel:x:10:root,app
            staff:x:50:app
            app:x:1000:
            """)

    @Test func emptyIsRootWithRootsGroups() throws {
        #expect(try accounts.resolve("") == OCISpec.User(uid: 0, gid: 0, additionalGids: [0, 10]))
    }

    @Test func aNameGetsItsPrimaryGroupAndMemberships() throws {
        #expect(try accounts.resolve("app") == OCISpec.User(uid: 1000, gid: 1000, additionalGids: [1000, 10, 50]))
        // A number found in passwd is that user, memberships included.
        #expect(try accounts.resolve("1000") == OCISpec.User(uid: 1000, gid: 1000, additionalGids: [1000, 10, 50]))
    }

    @Test func anExplicitGroupReplacesThePrimaryAndDropsMemberships() throws {
        #expect(try accounts.resolve("app:staff") == OCISpec.User(uid: 1000, gid: 50, additionalGids: [50]))
        #expect(try accounts.resolve("1000:7") == OCISpec.User(uid: 1000, gid: 7, additionalGids: [7]))
        #expect(try accounts.resolve("daemon:10") == OCISpec.User(uid: 1, gid: 10, additionalGids: [10]))
    }

    @Test func anUnknownNumberIsUsedAsIs() throws {
        #expect(try accounts.resolve("4242") == OCISpec.User(uid: 4242, gid: 0, additionalGids: [0]))
        #expect(try accounts.resolve("4242:4243") == OCISpec.User(uid: 4242, gid: 4243, additionalGids: [4243]))
    }

    @Test func unknownNamesAreDockersErrors() throws {
        #expect(
            throws: StarlingError.invalidArgument("unable to find user nobody: no matching entries in passwd file")
        ) { try accounts.resolve("nobody") }
        #expect(
            throws: StarlingError.invalidArgument("unable to find group video: no matching entries in group file")
        ) { try accounts.resolve("app:video") }
        // Without an /etc/passwd, only numbers work.
        let empty = ContainerAccounts(passwd: nil, group: nil)
        #expect(throws: StarlingError.self) { try empty.resolve("app") }
        #expect(try empty.resolve("33:33") == OCISpec.User(uid: 33, gid: 33, additionalGids: [33]))
    }

    @Test func extraGroupsAreAppendedByNameOrNumber() throws {
        #expect(
            try accounts.resolve("daemon", extraGroups: ["staff", "99"])
                == OCISpec.User(uid: 1, gid: 1, additionalGids: [1, 50, 99]))
        #expect(throws: StarlingError.invalidArgument("Unable to find group video")) {
            try accounts.resolve("daemon", extraGroups: ["video"])
        }
    }

    @Test func filesAreReadInsideTheRootFileSystem() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oci-user-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let etc = root.appendingPathComponent("etc")
        try FileManager.default.createDirectory(at: etc, withIntermediateDirectories: true)
        try "app:x:7:8::/:/bin/sh\n".write(
            to: etc.appendingPathComponent("passwd.real"), atomically: true, encoding: .utf8)
        // An absolute link is taken inside the root, not on the host.
        try FileManager.default.createSymbolicLink(
            atPath: etc.appendingPathComponent("passwd").path, withDestinationPath: "/etc/passwd.real")
        let loaded = ContainerAccounts.load(rootFileSystem: root.path)
        #expect(loaded.users.map(\.name) == ["app"])
        #expect(loaded.groups.isEmpty)
    }
}
