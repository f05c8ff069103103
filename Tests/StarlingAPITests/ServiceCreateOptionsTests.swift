import Foundation
import StarlingClient
import StarlingModel
import Testing

/// `starling service create`'s flags become the spec the docker CLI sends (docker-api-surface.md §4).
@Suite struct ServiceCreateOptionsTests {
    /// `spec` as a JSON object, for comparing with what the docker CLI sends.
    static func jsonObject(_ spec: ServiceSpec) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: StarlingJSON.encode(spec)) as? NSDictionary)
    }

    static func jsonObject(_ text: String) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
    }

    @Test func theSmallestServiceIsDockersSmallestSpec() throws {
        let spec = try ServiceCreateOptions(image: "busybox").spec()
        // The docker CLI sends `"Replicated":{}`, which dockerd reads as one replica.
        let expected = """
            {"Labels":{},"TaskTemplate":{"ContainerSpec":{"Image":"busybox:latest","Init":false,"DNSConfig":{}},
             "Resources":{"Limits":{},"Reservations":{}},"Placement":{},"ForceUpdate":0},
             "Mode":{"Replicated":{"Replicas":1}},"EndpointSpec":{"Mode":"vip"}}
            """
        #expect(try Self.jsonObject(spec) == Self.jsonObject(expected))
    }

    /// The flags of capture 10a in §4, less the ones Starling's CLI does not have (`--publish`, `--mount`,
    /// `--update-parallelism`).
    @Test func theCapturedSpecOfSection4() throws {
        var options = ServiceCreateOptions(image: "busybox:local", args: ["sh", "-c", "sleep 600"])
        options.name = "rs-a"
        options.replicas = "2"
        options.constraints = ["node.role==manager", "node.labels.zone==a"]
        options.placementPreferences = ["spread=node.labels.zone"]
        options.limitCPU = "0.5"
        options.limitMemory = "64M"
        options.reserveMemory = "16M"
        options.healthCmd = "true"
        options.healthInterval = "2s"
        options.restartCondition = "on-failure"
        options.env = ["FOO=bar", "BAZ=qux"]
        let expected = """
            {"Name":"rs-a","Labels":{},
             "TaskTemplate":{"ContainerSpec":{"Image":"busybox:local","Args":["sh","-c","sleep 600"],
                 "Env":["FOO=bar","BAZ=qux"],"Init":false,
                 "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":2000000000},"DNSConfig":{}},
               "Resources":{"Limits":{"NanoCPUs":500000000,"MemoryBytes":67108864},"Reservations":{"MemoryBytes":16777216}},
               "RestartPolicy":{"Condition":"on-failure","Delay":5000000000,"MaxAttempts":0},
               "Placement":{"Constraints":["node.role==manager","node.labels.zone==a"],
                            "Preferences":[{"Spread":{"SpreadDescriptor":"node.labels.zone"}}]},"ForceUpdate":0},
             "Mode":{"Replicated":{"Replicas":2}},
             "EndpointSpec":{"Mode":"vip"}}
            """
        #expect(try Self.jsonObject(options.spec()) == Self.jsonObject(expected))
    }

    @Test func everyOtherFlag() throws {
        var options = ServiceCreateOptions(image: "-", args: ["/usr/bin/worker", "--fast"])
        options.runtime = "process"
        options.mode = "replicated"
        options.maxReplicasPerNode = "2"
        options.limitPids = "100"
        options.reserveCPU = "1/4"
        options.genericResources = ["gpu=1", "ssd=2"]
        options.restartDelay = "1m30s"
        options.restartMaxAttempts = "3"
        options.restartWindow = "2m"
        options.healthCmd = "curl -f localhost"
        options.healthTimeout = "500ms"
        options.healthRetries = "4"
        options.healthStartPeriod = "1.5s"
        options.workdir = "/srv"
        options.user = "nobody:nogroup"
        options.stopSignal = "SIGINT"
        options.stopGracePeriod = "0"
        options.labels = ["team=ops", "solo"]
        options.containerLabels = ["c=1"]
        options.env = ["A=1", "B", "A=2", "C"]
        options.environment = ["B": "from-client"]
        let spec = try options.spec()
        let container = try #require(spec.taskTemplate.containerSpec)
        #expect(container.image == nil)
        #expect(container.args == ["/usr/bin/worker", "--fast"])
        #expect(container.env == ["B=from-client", "A=2", "C"])
        #expect(container.dir == "/srv")
        #expect(container.user == "nobody:nogroup")
        #expect(container.stopSignal == "SIGINT")
        #expect(container.stopGracePeriod == 0)
        #expect(container.labels == ["c": "1"])
        #expect(
            container.healthcheck
                == HealthConfig(
                    test: ["CMD-SHELL", "curl -f localhost"], timeout: 500_000_000, retries: 4,
                    startPeriod: 1_500_000_000))
        #expect(spec.labels == ["team": "ops", "solo": ""])
        #expect(spec.taskTemplate.runtime == .process)
        #expect(spec.taskRuntime == .process)
        #expect(spec.taskTemplate.placement == Placement(maxReplicas: 2))
        #expect(spec.taskTemplate.resources?.limits == ResourceLimit(pids: 100))
        #expect(
            spec.taskTemplate.resources?.reservations
                == Resources(
                    nanoCPUs: 250_000_000,
                    genericResources: [.discrete(kind: "gpu", value: 1), .discrete(kind: "ssd", value: 2)]))
        #expect(
            spec.taskTemplate.restartPolicy
                == RestartPolicy(condition: .any, delay: 90_000_000_000, maxAttempts: 3, window: 120_000_000_000))
    }

    @Test func modes() throws {
        func mode(_ name: String, replicas: String? = nil, concurrent: String? = nil) throws -> ServiceMode {
            var options = ServiceCreateOptions(image: "busybox")
            options.mode = name
            options.replicas = replicas
            options.maxConcurrent = concurrent
            return try options.spec().mode
        }
        #expect(try mode("global") == .global)
        #expect(try mode("global-job") == .globalJob)
        #expect(try mode("replicated", replicas: "0x10") == .replicated(replicas: 16))
        #expect(try mode("replicated-job", replicas: "5") == .replicatedJob(maxConcurrent: 5, totalCompletions: 5))
        #expect(
            try mode("replicated-job", replicas: "5", concurrent: "2")
                == .replicatedJob(maxConcurrent: 2, totalCompletions: 5))
        #expect(try mode("replicated-job") == .replicatedJob(maxConcurrent: 1, totalCompletions: 1))
    }

    @Test func invalidFlagsAreRefusedWithDockersWords() {
        let cases: [((inout ServiceCreateOptions) -> Void, String)] = [
            (
                {
                    $0.mode = "global"; $0.replicas = "2"
                }, "replicas can only be used with replicated or replicated-job mode"
            ),
            ({ $0.mode = "sideways" }, "Unknown mode: sideways, only replicated and global supported"),
            ({ $0.maxConcurrent = "2" }, "max-concurrent can only be used with replicated-job mode"),
            (
                {
                    $0.mode = "global"; $0.maxReplicasPerNode = "1"
                },
                "replicas-max-per-node can only be used with replicated or replicated-job mode"
            ),
            (
                { $0.replicas = "two" },
                "invalid argument \"two\" for \"--replicas\" flag: strconv.ParseUint: parsing \"two\": invalid syntax"
            ),
            (
                { $0.limitMemory = "64X" },
                "invalid argument \"64X\" for \"--limit-memory\" flag: invalid suffix: 'x'"
            ),
            (
                { $0.limitCPU = "0.0000000001" },
                "invalid argument \"0.0000000001\" for \"--limit-cpu\" flag: value is too precise"
            ),
            (
                { $0.restartDelay = "5" },
                "invalid argument \"5\" for \"--restart-delay\" flag: time: missing unit in duration \"5\""
            ),
            (
                { $0.restartWindow = "1d" },
                "invalid argument \"1d\" for \"--restart-window\" flag: time: unknown unit \"d\" in duration \"1d\""
            ),
            (
                { $0.healthInterval = "-1s" },
                "invalid argument \"-1s\" for \"--health-interval\" flag: duration cannot be negative"
            ),
            ({ $0.restartCondition = "sometimes" }, "invalid RestartCondition: \"sometimes\""),
            (
                {
                    $0.noHealthcheck = true; $0.healthCmd = "true"
                }, "--no-healthcheck conflicts with --health-* options"
            ),
            (
                { $0.placementPreferences = ["pack=node.id"] },
                "invalid argument \"pack=node.id\" for \"--placement-pref\" flag: unsupported placement preference pack (only spread is supported)"
            ),
            (
                { $0.genericResources = ["gpu=uuid1"] },
                "invalid generic-resource request `gpu=uuid1`, Named Generic Resources is not supported for service create or update"
            ),
            ({ $0.labels = ["=x"] }, "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name"),
            (
                { $0.runtime = "wasm" },
                "invalid argument \"wasm\" for \"--runtime\" flag: expected \"container\" or \"process\""
            ),
            ({ $0.image = "-" }, "an image is required (\"-\" means no image only with --runtime process)"),
        ]
        for (change, message) in cases {
            var options = ServiceCreateOptions(image: "busybox")
            change(&options)
            #expect(throws: StarlingError.invalidArgument(message)) { try options.spec() }
        }
    }
}

/// Image references as the docker client normalizes and shows them.
@Suite struct ImageReferenceTests {
    @Test func aDefaultTagIsAddedToBareNames() {
        #expect(ImageReference.withDefaultTag("busybox") == "busybox:latest")
        #expect(ImageReference.withDefaultTag("docker.io/library/busybox") == "busybox:latest")
        #expect(ImageReference.withDefaultTag("index.docker.io/team/app:2") == "team/app:2")
        #expect(ImageReference.withDefaultTag("registry.local:5000/team/app") == "registry.local:5000/team/app:latest")
        #expect(ImageReference.withDefaultTag("busybox@sha256:abc") == "busybox@sha256:abc")
        #expect(ImageReference.withDefaultTag("Busybox") == nil)
        #expect(ImageReference.withDefaultTag("-") == nil)
    }

    @Test func displayDropsDigestsOfTaggedImages() {
        #expect(ImageReference.display("busybox:1.36@sha256:abc") == "busybox:1.36")
        #expect(ImageReference.display("docker.io/library/nginx:1") == "nginx:1")
        #expect(ImageReference.display("busybox@sha256:abc") == "busybox@sha256:abc")
        #expect(ImageReference.display("") == "")
        #expect(ImageReference.pinned("busybox:latest", digest: "sha256:abc") == "busybox:latest@sha256:abc")
        #expect(ImageReference.pinned("a@sha256:1", digest: "sha256:2") == "a@sha256:1")
    }
}

/// Go's parsing of the values of command-line flags.
@Suite struct GoValueParsingTests {
    @Test func durations() throws {
        let cases: [(String, Int64)] = [
            ("0", 0), ("5s", 5_000_000_000), ("1.5s", 1_500_000_000), ("500ms", 500_000_000), ("1m30s", 90_000_000_000),
            ("1h", 3_600_000_000_000), ("2us", 2_000), ("3µs", 3_000), ("7ns", 7), ("-1s", -1_000_000_000),
            (".5s", 500_000_000),
            ("+2m", 120_000_000_000), ("1h2m3.004s", 3_723_004_000_000),
        ]
        for (text, nanoseconds) in cases { #expect(try GoValueParsing.duration(text) == nanoseconds, "\(text)") }
        for bad in ["", "s", "5", "1.s5", "-", "5x", ".s"] {
            #expect(throws: StarlingError.self, "\(bad)") { try GoValueParsing.duration(bad) }
        }
        #expect(throws: StarlingError.invalidArgument("time: invalid duration \"\"")) {
            try GoValueParsing.duration("")
        }
    }

    @Test func bytes() throws {
        let cases: [(String, Int64)] = [
            ("64M", 64 << 20), ("1GiB", 1 << 30), ("512k", 512 << 10), ("1.5g", 3 << 29), ("100", 100), ("100b", 100),
            ("2 MB", 2 << 20), ("1t", 1 << 40), ("16m", 16 << 20),
        ]
        for (text, bytes) in cases { #expect(try GoValueParsing.ramInBytes(text) == bytes, "\(text)") }
        #expect(throws: StarlingError.invalidArgument("invalid suffix: 'mbb'")) {
            try GoValueParsing.ramInBytes("1mbb")
        }
        #expect(throws: StarlingError.invalidArgument("invalid size: 'abc'")) { try GoValueParsing.ramInBytes("abc") }
        #expect(throws: StarlingError.self) { try GoValueParsing.ramInBytes("-1m") }
    }

    @Test func cpus() throws {
        let cases: [(String, Int64)] = [
            ("0.5", 500_000_000), ("2", 2_000_000_000), ("1.25", 1_250_000_000), (".1", 100_000_000),
            ("1/4", 250_000_000), ("0.000000001", 1),
        ]
        for (text, nanoCPUs) in cases { #expect(try GoValueParsing.nanoCPUs(text) == nanoCPUs, "\(text)") }
        #expect(throws: StarlingError.invalidArgument("failed to parse x as a rational number")) {
            try GoValueParsing.nanoCPUs("x")
        }
    }

    @Test func unsignedIntegers() throws {
        #expect(try GoValueParsing.unsigned("10") == 10)
        #expect(try GoValueParsing.unsigned("0x1f") == 31)
        #expect(try GoValueParsing.unsigned("010") == 8)
        #expect(try GoValueParsing.unsigned("0") == 0)
        #expect(throws: StarlingError.self) { try GoValueParsing.unsigned("-1") }
        #expect(throws: StarlingError.self) { try GoValueParsing.unsigned("09") }
    }
}
