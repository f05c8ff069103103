import Foundation
import StarlingImage
import StarlingModel
import Testing

@testable import StarlingExecutor

#if canImport(Glibc)
    import Glibc
#endif

/// Where the runtime test finds runc and busybox.
enum OCIRuntime {
    static let runc: String? = {
        let candidates: [String] = ["/usr/sbin/runc", "/usr/bin/runc"]
        return candidates.first { access($0, X_OK) == 0 }
    }()
    static let busybox = "/bin/busybox"
    static let available = geteuid() == 0 && runc != nil && access(busybox, X_OK) == 0
}

/// Generated specs run under the real runc: a busybox-static root file system, `runc run`, the exit code. Needs
/// root, runc and a static busybox (`apt-get install runc busybox-static`); skipped otherwise.
@Suite(.enabled(if: OCIRuntime.available, "needs root, runc and a static /bin/busybox"))
struct OCIRuntimeTests {
    /// A bundle whose root file system is busybox and a user database with an `app` user.
    struct Bundle {
        let directory: TemporaryDirectory
        var rootFileSystem: String { directory.path + "/rootfs" }

        init() throws {
            directory = try TemporaryDirectory("starling-oci")
            let files = FileManager.default
            let root = directory.path + "/rootfs"
            for path in ["/bin", "/etc", "/tmp", "/srv"] {
                try files.createDirectory(atPath: root + path, withIntermediateDirectories: true)
            }
            try files.copyItem(atPath: OCIRuntime.busybox, toPath: root + "/bin/busybox")
            for applet in ["sh", "true", "id", "hostname", "cat", "touch", "test"] {
                try files.createSymbolicLink(atPath: root + "/bin/" + applet, withDestinationPath: "busybox")
            }
            try "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/srv:/bin/sh\n".write(
                toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
            try "root:x:0:\napp:x:1000:\nstaff:x:50:app\n".write(
                toFile: root + "/etc/group", atomically: true, encoding: .utf8)
        }

        /// Writes the task's spec into the bundle and runs it with `runc run`; returns runc's exit code.
        func run(_ spec: ContainerSpec, resources: TaskResources = TaskResources()) async throws -> Int32 {
            let id = "starling-oci-" + UUID().uuidString.prefix(8).lowercased()
            let builder = OCISpecBuilder(
                rootFileSystem: rootFileSystem, cgroupsPath: "/" + id, network: .host(hostname: "node-test"),
                openFiles: OCIDefaults.openFiles(grantableBy: OCIDefaults.currentOpenFiles()),
                volumePath: { _ in throw StarlingError.invalidArgument("no volumes here") })
            let generated = try builder.build(
                ContainerTask(id: id, spec: spec, resources: resources, image: ContainerDefaults(cmd: ["sh"])),
                accounts: ContainerAccounts.load(rootFileSystem: rootFileSystem))
            try JSONEncoder().encode(generated).write(to: URL(fileURLWithPath: directory.path + "/config.json"))

            let process = Process()
            process.executableURL = URL(fileURLWithPath: try #require(OCIRuntime.runc))
            process.arguments = ["run", "--bundle", directory.path, id]
            process.standardInput = FileHandle.nullDevice
            return try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { continuation.resume(throwing: error) }
            }
        }
    }

    @Test func busyboxTrueExitsZero() async throws {
        let bundle = try Bundle()
        defer { bundle.directory.remove() }
        #expect(try await bundle.run(ContainerSpec(command: ["true"])) == 0)
    }

    @Test func theProcessGetsItsUserGroupsHostnameEnvironmentAndDirectory() async throws {
        let bundle = try Bundle()
        defer { bundle.directory.remove() }
        // Exit 7 only if every check holds, so a runtime failure cannot pass for success.
        let script = """
            test "$(id -u):$(id -g)" = 1000:1000 && test "$(id -G)" = "1000 50" \
            && test "$(hostname)" = node-test && test "$HOSTNAME" = node-test && test "$MODE" = t \
            && test "$(pwd)" = /srv && exit 7
            """
        let spec = ContainerSpec(command: ["sh", "-c", script], env: ["MODE=t"], dir: "/srv", user: "app")
        #expect(try await bundle.run(spec) == 7)
    }

    @Test func aMissingWorkingDirectoryIsCreatedByTheRuntime() async throws {
        let bundle = try Bundle()
        defer { bundle.directory.remove() }
        let spec = ContainerSpec(command: ["sh", "-c", "test \"$(pwd)\" = /work/here && exit 9"], dir: "/work/here")
        #expect(try await bundle.run(spec) == 9)
    }

    @Test func aReadOnlyRootRefusesWritesButTmpfsMountsTakeThem() async throws {
        let bundle = try Bundle()
        defer { bundle.directory.remove() }
        var spec = ContainerSpec(
            command: ["sh", "-c", "touch /tmp/x && ! touch /x 2>/dev/null && exit 5"],
            mounts: [Mount(type: .tmpfs, target: "/tmp", tmpfsOptions: .init(sizeBytes: 1 << 20))])
        spec.readOnly = true
        #expect(try await bundle.run(spec, resources: TaskResources(memoryBytes: 64 << 20, pidsLimit: 20)) == 5)
    }
}
