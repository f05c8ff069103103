import Foundation
import StarlingModel
import Testing

/// Services and tasks encode exactly as the Engine API: the v1.41 examples and complete instances of the schemas
/// (scripts/make-model-fixtures.py) decode and encode again to the same JSON, so a field the model forgot fails here.
@Suite struct ServiceRoundTripTests {
    static func json(_ text: String) -> Data { Data(text.utf8) }

    static func canonical(_ data: Data) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    /// Decodes `data`, encodes it again and expects the same JSON and the same value back.
    @discardableResult
    static func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ data: Data) throws -> T {
        let decoded = try StarlingJSON.decode(T.self, from: data)
        let encoded = try StarlingJSON.encode(decoded)
        #expect(try canonical(encoded) == canonical(data))
        #expect(try StarlingJSON.decode(T.self, from: encoded) == decoded)
        return decoded
    }

    @Test(arguments: ["Service", "ServiceComplete"])
    func service(_ fixture: String) throws {
        try Self.roundTrip(SwarmService.self, RoundTripTests.fixture(fixture))
    }

    @Test func serviceSpecComplete() throws {
        try Self.roundTrip(ServiceSpec.self, RoundTripTests.fixture("ServiceSpecComplete"))
    }

    @Test(arguments: ["Task", "TaskComplete"])
    func task(_ fixture: String) throws {
        try Self.roundTrip(SwarmTask.self, RoundTripTests.fixture(fixture))
    }

    @Test func serviceExampleFields() throws {
        let service = try StarlingJSON.decode(SwarmService.self, from: RoundTripTests.fixture("Service"))
        #expect(service.id == "9mnpnzenvg8p8tdbtq4wvbkcz")
        #expect(service.version.index == 19)
        #expect(service.spec.name == "hopeful_cori")
        #expect(service.spec.mode == .replicated(replicas: 1))
        #expect(service.spec.taskTemplate.containerSpec?.image == "redis")
        #expect(service.spec.taskTemplate.restartPolicy?.condition == .any)
        #expect(service.spec.updateConfig?.failureAction == .pause)
        #expect(service.spec.updateConfig?.maxFailureRatio == 0.15)
        #expect(service.spec.endpointSpec?.ports?.first?.publishedPort == 30001)
        #expect(service.endpoint?.virtualIPs?.count == 2)
        #expect(RFC3339.format(service.createdAt) == "2016-06-07T21:05:51.880065305Z")
    }

    @Test func completeSpecFields() throws {
        let spec = try StarlingJSON.decode(ServiceSpec.self, from: RoundTripTests.fixture("ServiceSpecComplete"))
        let container = try #require(spec.taskTemplate.containerSpec)
        #expect(container.healthcheck?.interval == 7)
        #expect(container.useInit == true)
        #expect(container.mounts?.first?.type == .volume)
        #expect(container.mounts?.first?.volumeOptions?.driverConfig?.options == ["options-key": "options-value"])
        #expect(container.secrets?.first?.file?.mode == 7)
        #expect(container.capabilityAdd?.count == 4)
        #expect(spec.taskTemplate.resources?.limits?.pids == 100)
        #expect(spec.taskTemplate.resources?.reservations?.genericResources?.first == .discrete(kind: "SSD", value: 3))
        #expect(spec.taskTemplate.placement?.preferences?.first == .spread("node.labels.datacenter"))
        #expect(spec.taskTemplate.placement?.platforms == [Platform(architecture: "x86_64", os: "linux")])
        #expect(spec.taskTemplate.pluginSpec?.privileges?.first?.name == "network")
        #expect(spec.taskTemplate.runtime == TaskRuntime(rawValue: "runtime-value"))
        #expect(spec.rollbackConfig?.failureAction == .continue)
    }

    @Test func taskExampleFields() throws {
        let task = try StarlingJSON.decode(SwarmTask.self, from: RoundTripTests.fixture("Task"))
        #expect(task.id == "0kzzo1i0y4jz6027t0k7aezc7")
        #expect(task.slot == 1)
        #expect(task.status.state == .running)
        #expect(task.status.containerStatus?.pid == 677)
        #expect(task.status.containerStatus?.exitCode == nil)
        #expect(task.desiredState == .running)
        #expect(task.genericResources?.contains(.named(kind: "GPU", value: "UUID2")) == true)
        #expect(task.networksAttachments?.first?.network?.spec?.name == "ingress")
        #expect(task.networksAttachments?.first?.addresses == ["10.255.0.10/16"])
    }

    @Test func globalTaskLeavesOutSlot() throws {
        let task = SwarmTask(
            id: "t1", createdAt: Timestamp(seconds: 10), updatedAt: Timestamp(seconds: 11),
            spec: TaskSpec(containerSpec: ContainerSpec(image: "busybox")), serviceID: "s1", nodeID: "n1",
            status: TaskStatus(timestamp: Timestamp(seconds: 11), state: .pending), desiredState: .running)
        let json = try Self.canonical(StarlingJSON.encode(task))
        #expect(json["Slot"] == nil)
        #expect(json["Labels"] as? NSDictionary == [:])
        #expect((json["Status"] as? NSDictionary)?["State"] as? String == "pending")
        #expect(json["DesiredState"] as? String == "running")
    }

    @Test func createAndUpdateResponses() throws {
        let created = try Self.canonical(StarlingJSON.encode(ServiceCreateResponse(id: "abc")))
        #expect(created == ["ID": "abc"])
        let warned = try Self.canonical(StarlingJSON.encode(ServiceCreateResponse(id: "abc", warnings: ["w"])))
        #expect(warned == ["ID": "abc", "Warnings": ["w"]])
        // dockerd writes the key even without warnings; the docker CLI's capture shows {"Warnings":null}.
        let updated = String(decoding: try StarlingJSON.encode(ServiceUpdateResponse()), as: UTF8.self)
        #expect(updated == #"{"Warnings":null}"#)
        #expect(
            try StarlingJSON.decode(ServiceUpdateResponse.self, from: Self.json(updated)) == ServiceUpdateResponse())
        let response = try StarlingJSON.decode(
            ServiceUpdateResponse.self, from: Self.json(#"{"Warnings":["unable to pin image"]}"#))
        #expect(response.warnings == ["unable to pin image"])
    }
}
