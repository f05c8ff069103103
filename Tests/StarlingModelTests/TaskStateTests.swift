import Foundation
import StarlingModel
import Testing

@Suite struct TaskStateTests {
    /// The Engine API's list, in lifecycle order (SwarmKit numbers them 0, 64, 128, ... in this order).
    static let wireOrder = [
        "new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running",
        "complete", "shutdown", "failed", "rejected", "remove", "orphaned",
    ]

    @Test func exactStringsInLifecycleOrder() {
        #expect(TaskState.allCases.map(\.rawValue) == Self.wireOrder)
        #expect(TaskState.allCases.sorted() == TaskState.allCases)
        for (earlier, later) in zip(TaskState.allCases, TaskState.allCases.dropFirst()) {
            #expect(earlier < later)
        }
    }

    @Test func terminalStatesAreThoseAfterRunning() {
        let terminal = TaskState.allCases.filter(\.isTerminal)
        #expect(terminal == [.complete, .shutdown, .failed, .rejected, .remove, .orphaned])
        #expect(TaskState.allCases.filter(\.isActive).last == .running)
        #expect(TaskState.allCases.allSatisfy { $0.isActive != $0.isTerminal })
        #expect(TaskState.allCases.filter(\.isFailure) == [.failed, .rejected, .orphaned])
    }

    @Test func observedStateOnlyMovesForward() {
        #expect(TaskState.pending.canAdvance(to: .assigned))
        #expect(TaskState.starting.canAdvance(to: .running))
        #expect(TaskState.running.canAdvance(to: .running))
        #expect(TaskState.running.canAdvance(to: .failed))
        #expect(!TaskState.running.canAdvance(to: .starting))
        #expect(!TaskState.failed.canAdvance(to: .running))
        #expect(!TaskState.shutdown.canAdvance(to: .complete))

        let running = TaskStatus(timestamp: Timestamp(seconds: 2), state: .running, message: "started")
        let late = TaskStatus(timestamp: Timestamp(seconds: 3), state: .starting, message: "starting")
        let failed = TaskStatus(timestamp: Timestamp(seconds: 4), state: .failed, err: "task: non-zero exit (1)")
        #expect(running.advanced(to: late) == running)
        #expect(running.advanced(to: failed) == failed)
    }

    @Test func decodesIgnoringCaseAndEncodesLowercase() throws {
        let status = try StarlingJSON.decode(
            TaskStatus.self, from: Data(#"{"Timestamp":"2020-06-22T15:49:27Z","State":"RUNNING"}"#.utf8))
        #expect(status.state == .running)
        let encoded = String(decoding: try StarlingJSON.encode(status), as: UTF8.self)
        #expect(encoded.contains(#""State":"running""#))
        #expect(throws: DecodingError.self) {
            try StarlingJSON.decode(
                TaskStatus.self, from: Data(#"{"Timestamp":"2020-06-22T15:49:27Z","State":"exploded"}"#.utf8))
        }
    }
}

@Suite struct TaskRuntimeTests {
    static let processLabel = [StarlingLabel.runtime: "process"]

    @Test func containerByDefault() {
        #expect(
            ServiceSpec(taskTemplate: TaskSpec(containerSpec: ContainerSpec(image: "busybox"))).taskRuntime
                == .container)
        #expect(TaskSpec(pluginSpec: PluginSpec(name: "p")).effectiveRuntime(serviceLabels: nil) == .plugin)
        #expect(
            TaskSpec(networkAttachmentSpec: .init(containerID: "c")).effectiveRuntime(serviceLabels: nil) == .attachment
        )
    }

    @Test func serviceLabelSelectsProcess() {
        var spec = ServiceSpec(labels: Self.processLabel, taskTemplate: TaskSpec(containerSpec: ContainerSpec()))
        #expect(spec.taskRuntime == .process)
        // A spec read back from a server says `Runtime: container`; the label still wins.
        spec.taskTemplate.runtime = .container
        #expect(spec.taskRuntime == .process)
    }

    @Test func containerLabelSelectsProcess() {
        let spec = ServiceSpec(
            labels: ["team": "a"], taskTemplate: TaskSpec(containerSpec: ContainerSpec(labels: Self.processLabel)))
        #expect(spec.taskRuntime == .process)
    }

    @Test func serviceLabelWinsOverContainerLabel() {
        let spec = ServiceSpec(
            labels: [StarlingLabel.runtime: "container"],
            taskTemplate: TaskSpec(containerSpec: ContainerSpec(labels: Self.processLabel)))
        #expect(spec.taskRuntime == .container)
    }

    @Test func explicitRuntimeWithoutLabel() {
        let spec = ServiceSpec(taskTemplate: TaskSpec(containerSpec: ContainerSpec(), runtime: .process))
        #expect(spec.taskRuntime == .process)
        #expect(spec.insertingDefaults().taskTemplate.runtime == .process)
    }

    @Test func unknownRuntimeIsKept() throws {
        let spec = try StarlingJSON.decode(TaskSpec.self, from: Data(#"{"Runtime":"wasm"}"#.utf8))
        #expect(spec.runtime?.rawValue == "wasm")
        #expect(String(decoding: try StarlingJSON.encode(spec), as: UTF8.self) == #"{"Runtime":"wasm"}"#)
        #expect(
            TaskSpec(containerSpec: ContainerSpec(labels: [StarlingLabel.runtime: " Process "]))
                .effectiveRuntime(serviceLabels: nil) == .process)
    }
}

@Suite struct ServiceDefaultsTests {
    @Test func insertsDockersDefaults() {
        let spec = ServiceSpec(name: "web", taskTemplate: TaskSpec(containerSpec: ContainerSpec(image: "nginx")))
            .insertingDefaults()
        let container = spec.taskTemplate.containerSpec
        #expect(container?.stopGracePeriod == 10_000_000_000)
        #expect(container?.dnsConfig == ContainerSpec.DNSConfig())
        #expect(container?.isolation == "default")
        #expect(spec.taskTemplate.restartPolicy == RestartPolicy(condition: .any, delay: 5_000_000_000, maxAttempts: 0))
        #expect(spec.taskTemplate.resources == ResourceRequirements())
        #expect(spec.taskTemplate.placement == Placement())
        #expect(spec.taskTemplate.forceUpdate == 0)
        #expect(spec.taskTemplate.runtime == .container)
        let update = UpdateConfig(
            parallelism: 1, failureAction: .pause, monitor: 5_000_000_000, maxFailureRatio: 0, order: .stopFirst)
        #expect(spec.updateConfig == update)
        #expect(spec.rollbackConfig == update)
        #expect(spec.endpointSpec == EndpointSpec(mode: .vip))
    }

    @Test func keepsWhatTheClientSent() {
        let original = ServiceSpec(
            taskTemplate: TaskSpec(
                containerSpec: ContainerSpec(image: "nginx", stopGracePeriod: 1),
                restartPolicy: RestartPolicy(condition: .never)),
            updateConfig: UpdateConfig(failureAction: .continue),
            endpointSpec: EndpointSpec(ports: [EndpointPortConfig(targetPort: 80)]))
        let spec = original.insertingDefaults()
        #expect(spec.taskTemplate.containerSpec?.stopGracePeriod == 1)
        #expect(
            spec.taskTemplate.restartPolicy == RestartPolicy(condition: .never, delay: 5_000_000_000, maxAttempts: 0))
        // A configuration that is present takes Go's zero values: no Parallelism means all at once.
        #expect(
            spec.updateConfig
                == UpdateConfig(
                    parallelism: 0, failureAction: .continue, monitor: 5_000_000_000, maxFailureRatio: 0,
                    order: .stopFirst))
        #expect(spec.endpointSpec == EndpointSpec(mode: .vip, ports: [EndpointPortConfig(targetPort: 80)]))
        #expect(spec.insertingDefaults() == spec)
    }
}
