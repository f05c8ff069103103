import Foundation
import StarlingImage
import StarlingModel
import Testing

@testable import StarlingExecutor

/// Specs for representative tasks, compared with golden files in `Fixtures/oci/` (checked by hand against dockerd's
/// spec for the same container and the runtime spec). `STARLING_UPDATE_GOLDEN=1` rewrites them.
@Suite struct OCISpecGoldenTests {
    static let taskID = "x7k2m9q4w1e8r5t3y6u0i2o4p"
    static let busybox = ContainerDefaults(
        env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], cmd: ["sh"])
    static let accounts = ContainerAccounts(
        passwd: "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/bin/false\n",
        group: "root:x:0:\nwww-data:x:33:\nlogs:x:4:www-data\n")

    static func builder(network: OCISpecBuilder.Network = .host(hostname: "node-1")) -> OCISpecBuilder {
        OCISpecBuilder(
            rootFileSystem: "/var/lib/starling/containers/\(taskID)/rootfs", cgroupsPath: "/starling/\(taskID)",
            network: network, initBinary: "/usr/bin/tini-static", swapAccounting: true,
            networkFiles: NetworkFiles(
                resolvConf: "/var/lib/starling/containers/\(taskID)/resolv.conf",
                hostname: "/var/lib/starling/containers/\(taskID)/hostname",
                hosts: "/var/lib/starling/containers/\(taskID)/hosts"),
            volumePath: { mount in "/var/lib/starling/volumes/\(mount.source ?? "anonymous")/_data" })
    }

    func check(
        _ name: String, _ spec: ContainerSpec, resources: TaskResources = TaskResources(),
        image: ContainerDefaults? = busybox, network: OCISpecBuilder.Network = .host(hostname: "node-1")
    ) throws {
        let task = ContainerTask(id: Self.taskID, spec: spec, resources: resources, image: image)
        let generated = try Self.builder(network: network).build(task, accounts: Self.accounts)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(generated) + Data("\n".utf8)
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/oci/\(name).json")
        if ProcessInfo.processInfo.environment["STARLING_UPDATE_GOLDEN"] == "1" {
            try json.write(to: url)
        }
        let golden = try Data(contentsOf: url)
        #expect(String(decoding: json, as: UTF8.self) == String(decoding: golden, as: UTF8.self))
        #expect(try JSONDecoder().decode(OCISpec.self, from: golden) == generated)
    }

    @Test func minimalBusybox() throws {
        try check("minimal-busybox", ContainerSpec(image: "busybox:latest"))
    }

    @Test func commandArgsEnvUserAndWorkingDirectory() throws {
        var spec = ContainerSpec(
            image: "busybox:latest", command: ["httpd"], args: ["-f", "-p", "8080"],
            env: ["MODE=prod", "PATH=/opt/bin:/bin"],
            dir: "/var/www", user: "www-data")
        spec.groups = ["root"]
        spec.hostname = "web-1"
        spec.tty = true
        spec.capabilityAdd = ["net_admin"]
        spec.capabilityDrop = ["CAP_MKNOD", "NET_RAW"]
        try check("command-env-user", spec, network: .namespace(path: "/run/netns/web"))
    }

    @Test func limitsAndUlimits() throws {
        var spec = ContainerSpec(image: "busybox:latest", args: ["sleep", "3600"])
        spec.ulimits = [
            .init(name: "nofile", soft: 1024, hard: 4096), .init(name: "nproc", soft: 64, hard: 64),
            .init(name: "core", soft: -1, hard: -1),
        ]
        let resources = TaskResources(
            memoryBytes: 64 << 20, memoryReservationBytes: 32 << 20, nanoCPUs: 1_500_000_000, cpuShares: 512,
            pidsLimit: 100)
        try check("limits-ulimits", spec, resources: resources)
    }

    @Test func mountsOfEveryType() throws {
        let mounts: [Mount] = [
            Mount(type: .tmpfs, target: "/run/cache", tmpfsOptions: .init(sizeBytes: 64 << 20, mode: 0o1777)),
            Mount(type: .bind, source: "/srv/config", target: "/etc/app", readOnly: true),
            Mount(type: .volume, source: "data", target: "/data"),
            Mount(
                type: .bind, source: "/mnt/shared", target: "/data/shared",
                bindOptions: .init(propagation: .rslave)),
            Mount(type: .volume, source: "logs", target: "/var/log/app", readOnly: true),
            Mount(type: .tmpfs, target: "/dev/shm", tmpfsOptions: .init(sizeBytes: 1_000_000)),
            Mount(type: .bind, source: "/srv/hosts", target: "/etc/hosts", readOnly: true),
        ]
        var spec = ContainerSpec(image: "busybox:latest", mounts: mounts)
        spec.useInit = true
        try check("mounts", spec)
    }

    @Test func readOnlyRoot() throws {
        var spec = ContainerSpec(image: "busybox:latest", command: ["sh", "-c", "touch /x"])
        spec.readOnly = true
        try check("read-only-root", spec)
    }

    @Test func sysctls() throws {
        var spec = ContainerSpec(image: "busybox:latest")
        spec.sysctls = ["kernel.shmmax": "68719476736", "net.ipv4.ip_unprivileged_port_start": "0"]
        try check("sysctls", spec, network: .namespace(path: nil))
    }
}
