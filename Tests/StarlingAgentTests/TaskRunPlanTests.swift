import StarlingControlPlane
import StarlingExecutor
import StarlingModel
import StarlingTestSupport
import Testing

@testable import StarlingAgent

@Suite struct TaskRunPlanTests {
    @Test func theCommandLineIsCommandThenArgs() throws {
        let both = try TaskRunPlan.make(for: processTask("t", command: ["/bin/sh", "-c"], args: ["exit 3"]))
        #expect(both.executable.commandLine == ["/bin/sh", "-c", "exit 3"])
        // The docker CLI puts the command in Args.
        let argsOnly = try TaskRunPlan.make(for: processTask("t", command: nil, args: ["sleep", "10"]))
        #expect(argsOnly.executable.commandLine == ["sleep", "10"])
        #expect(throws: StarlingError.self) { try TaskRunPlan.make(for: processTask("t", command: [], args: [])) }
        // A runtime with images may leave the command to the image.
        let container = try TaskRunPlan.make(for: processTask("t", command: nil, runtime: .container))
        #expect(container.runtime == "container")
        #expect(container.executable.commandLine.isEmpty)
    }

    @Test func theContainerSpecMapsOntoTheExecutableTask() throws {
        var task = processTask("task-1")
        task.spec.containerSpec?.env = ["A=1", "B"]
        task.spec.containerSpec?.dir = "/srv"
        task.spec.containerSpec?.user = "nobody:nogroup"
        task.spec.containerSpec?.image = ""
        task.spec.resources = ResourceRequirements(
            limits: ResourceLimit(nanoCPUs: 500_000_000, memoryBytes: 64 << 20, pids: 100),
            reservations: Resources(nanoCPUs: 250_000_000, memoryBytes: 32 << 20))
        let plan = try TaskRunPlan.make(for: task)
        #expect(plan.runtime == "process")
        #expect(plan.executable.id == "task-1")
        #expect(plan.executable.environment == ["A=1", "B"])
        #expect(plan.executable.workingDirectory == "/srv")
        #expect(plan.executable.user == "nobody:nogroup")
        #expect(plan.executable.image == nil)
        #expect(
            plan.executable.resources
                == TaskResources(
                    memoryBytes: 64 << 20, memoryReservationBytes: 32 << 20, nanoCPUs: 500_000_000, cpuShares: 256,
                    pidsLimit: 100))
        #expect(TaskRunPlan.resources(nil).isEmpty)
        #expect(TaskRunPlan.resources(ResourceRequirements(limits: ResourceLimit(memoryBytes: 0))).isEmpty)
        // The kernel's smallest CPU weight.
        let tiny = TaskRunPlan.resources(ResourceRequirements(reservations: Resources(nanoCPUs: 1)))
        #expect(tiny.cpuShares == 2)
    }

    @Test func stopSignalAndGracePeriodDefaultAsDockers() throws {
        let plain = try TaskRunPlan.make(for: processTask("t"))
        #expect(plain.stopSignal == 15)
        #expect(plain.stopGracePeriod == .seconds(10))
        let custom = try TaskRunPlan.make(
            for: processTask("t", stopSignal: "SIGUSR1", stopGracePeriod: .milliseconds(1500)))
        #expect(custom.stopSignal == 10)
        #expect(custom.stopGracePeriod == .milliseconds(1500))
        #expect(try TaskRunPlan.make(for: processTask("t", stopGracePeriod: .zero)).stopGracePeriod == .zero)
    }

    @Test func signalsParseAsDockerParsesThem() throws {
        #expect(try parseSignal("SIGTERM") == 15)
        #expect(try parseSignal("term") == 15)
        #expect(try parseSignal("SigKill") == 9)
        #expect(try parseSignal("HUP") == 1)
        #expect(try parseSignal("2") == 2)
        for invalid in ["SIGNOPE", "0", "65", "-1", ""] {
            #expect(throws: StarlingError.invalidArgument("Invalid signal: \(invalid)")) { try parseSignal(invalid) }
        }
    }

    @Test func theHealthCheckMapsWithDockersDefaults() {
        #expect(TaskRunPlan.healthCheck(nil) == nil)
        #expect(TaskRunPlan.healthCheck(HealthConfig(test: [])) == nil)
        #expect(TaskRunPlan.healthCheck(HealthConfig(test: ["NONE"])) == nil)
        let check = TaskRunPlan.healthCheck(
            HealthConfig(
                test: ["CMD", "probe", "--fast"], interval: 2_000_000_000, timeout: 0, retries: 5,
                startPeriod: 500_000_000))
        #expect(
            check
                == HealthCheck(
                    test: ["CMD", "probe", "--fast"], interval: .seconds(2), timeout: nil, retries: 5,
                    startPeriod: .milliseconds(500)))
    }
}

@Suite struct TaskStatusOutboxTests {
    static func update(_ id: String, _ state: TaskState) -> TaskStatusReport.Update {
        TaskStatusReport.Update(taskID: id, status: TaskStatus(timestamp: Timestamp(seconds: 1), state: state))
    }

    @Test func takesEverythingInOrder() {
        var outbox = TaskStatusOutbox()
        #expect(outbox.take() == nil)
        outbox.append(Self.update("a", .accepted))
        outbox.append(Self.update("a", .preparing))
        outbox.append(Self.update("b", .accepted))
        #expect(outbox.take()?.updates.map(\.status.state) == [.accepted, .preparing, .accepted])
        #expect(outbox.isEmpty)
    }

    @Test func aReportPutBackKeepsTheNewestStatusOfEachTask() {
        var outbox = TaskStatusOutbox()
        outbox.append(Self.update("a", .accepted))
        outbox.append(Self.update("a", .preparing))
        outbox.append(Self.update("b", .accepted))
        let failed = outbox.take()!
        // Arrived while the report was being sent.
        outbox.append(Self.update("a", .ready))
        outbox.append(Self.update("c", .accepted))
        outbox.putBack(failed)
        #expect(outbox.updates == [Self.update("b", .accepted), Self.update("a", .ready), Self.update("c", .accepted)])
    }

    @Test func assignedGenericResourcesBecomeDockersVariables() {
        let environment = TaskRunPlan.resourceEnvironment([
            .named(kind: "gpu", value: "GPU-1"), .discrete(kind: "ssd", value: 2), .named(kind: "gpu", value: "GPU-3"),
        ])
        #expect(environment == ["DOCKER_RESOURCE_GPU=GPU-1,GPU-3", "DOCKER_RESOURCE_SSD=2"])
    }
}
