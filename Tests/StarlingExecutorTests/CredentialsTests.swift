import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingExecutor

#if canImport(Glibc)
    import Glibc
#endif

struct FakeAccounts: AccountDatabase {
    var users = [Account(name: "app", uid: 1000, gid: 1000, home: "/home/app")]
    var groupsByName = ["staff": UInt32(50), "app": 1000]
    var memberships = ["app": [UInt32(1000), 50, 27]]

    func user(named name: String) -> Account? { users.first { $0.name == name } }
    func user(id: UInt32) -> Account? { users.first { $0.uid == id } }
    func group(named name: String) -> UInt32? { groupsByName[name] }
    func groups(of user: String, primary gid: UInt32) -> [UInt32] { memberships[user] ?? [gid] }
}

@Suite struct CredentialsTests {
    let accounts = FakeAccounts()

    @Test func aNameGetsItsGroupsAndHome() throws {
        #expect(
            try Credentials.resolve("app", in: accounts)
                == Credentials(uid: 1000, gid: 1000, groups: [1000, 50, 27], home: "/home/app"))
    }

    @Test func anExplicitGroupReplacesThePrimaryAndDropsTheSupplementaryOnes() throws {
        #expect(
            try Credentials.resolve("app:staff", in: accounts) == Credentials(uid: 1000, gid: 50, home: "/home/app"))
        #expect(try Credentials.resolve("1000:7", in: accounts) == Credentials(uid: 1000, gid: 7, home: "/home/app"))
    }

    @Test func anUnknownNumberIsUsedAsIs() throws {
        #expect(try Credentials.resolve("4242", in: accounts) == Credentials(uid: 4242, gid: 0, home: "/"))
        #expect(try Credentials.resolve("4242:4243", in: accounts) == Credentials(uid: 4242, gid: 4243, home: "/"))
    }

    @Test func unknownNamesAreErrorsInRuncsWords() {
        #expect(throws: StarlingError.invalidArgument("unable to find user ghost: no matching entries in passwd file"))
        {
            try Credentials.resolve("ghost", in: accounts)
        }
        #expect(throws: StarlingError.invalidArgument("unable to find group ghosts: no matching entries in group file"))
        {
            try Credentials.resolve("app:ghosts", in: accounts)
        }
        #expect(throws: StarlingError.self) { try Credentials.resolve(":1", in: accounts) }
    }

    @Test func theSystemDatabaseKnowsRootAndNobody() throws {
        let system = SystemAccountDatabase()
        #expect(system.user(named: "root")?.uid == 0)
        #expect(system.user(id: 0)?.name == "root")
        let nobody = try #require(system.user(named: "nobody"))
        #expect(try Credentials.resolve("nobody", in: system).uid == nobody.uid)
        #expect(system.group(named: "root") == 0)
        #expect(system.groups(of: "root", primary: 0).contains(0))
    }

    @Test func commandsResolveOnThePathAsDockerDoes() throws {
        #expect(try CommandResolution.executable("sh", environment: [], workingDirectory: "/").hasSuffix("/sh"))
        #expect(
            try CommandResolution.executable("sh", environment: ["PATH=/bin"], workingDirectory: "/") == "/bin/sh")
        #expect(throws: StarlingError.invalidArgument("exec: \"no-such-command\": executable file not found in $PATH"))
        {
            try CommandResolution.executable("no-such-command", environment: [], workingDirectory: "/")
        }
        #expect(throws: StarlingError.invalidArgument("exec: \"/nope\": stat /nope: no such file or directory")) {
            try CommandResolution.executable("/nope", environment: [], workingDirectory: "/")
        }
        #expect(
            CommandResolution.environment(["A=1"], home: "/home/app") == [
                "A=1", "PATH=" + CommandResolution.defaultPath, "HOME=/home/app",
            ])
    }

    @Test func procStatParsesNamesWithSpacesAndParentheses() throws {
        let line = "1234 (a b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100"
        let stat = try #require(ProcessTaskRecord.parseStat(line))
        #expect(stat.state == "S")
        #expect(stat.startTime == 987_654)
    }
}
