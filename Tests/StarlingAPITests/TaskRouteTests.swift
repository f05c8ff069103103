import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StarlingAPI
import StarlingModel
import Testing

@Suite struct TaskRouteTests {
    /// `web` (2 replicas, labels tier=front), `db` (1 replica), and one task of `web` made from an older spec.
    private func populated(_ backend: FakeServiceEngine, client: some TestClientProtocol) async throws -> String {
        let webID = try await client.createService(serviceSpec("web", labels: ["tier": "front"]))
        _ = try await client.createService(serviceSpec("db", image: "postgres:16", replicas: 1, labels: [:]))
        var old = serviceSpec("web").taskTemplate
        old.containerSpec?.image = "busybox:old"
        await backend.insert(
            SwarmTask(
                id: "oldtask0000000000000000000", createdAt: FakeEngine.epoch, updatedAt: FakeEngine.epoch, spec: old,
                serviceID: webID, slot: 1, nodeID: FakeServiceEngine.nodeIDs[0],
                status: TaskStatus(timestamp: FakeEngine.epoch, state: .shutdown), desiredState: .shutdown))
        return webID
    }

    private func taskIDs(_ client: some TestClientProtocol, _ filters: String) async throws -> [SwarmTask] {
        let response = try await client.execute(uri: "/v1.41/tasks?filters=\(formEscape(filters))", method: .get)
        #expect(response.status == .ok, "\(filters): \(response.text)")
        return try response.decode([SwarmTask].self)
    }

    @Test func filtersMatchAsDockerdMatchesThem() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let webID = try await populated(backend, client: client)
            let all = try await client.execute(uri: "/v1.41/tasks", method: .get).decode([SwarmTask].self)
            #expect(all.count == 4)

            // Services by ID or name; both filter shapes.
            #expect(try await taskIDs(client, #"{"service":{"\#(webID)":true}}"#).count == 3)
            #expect(try await taskIDs(client, #"{"service": ["web"]}"#).count == 3)
            #expect(try await taskIDs(client, #"{"service": ["web", "db"]}"#).count == 4)
            // Desired state, and the two combined.
            let running = try await taskIDs(client, #"{"service": ["web"], "desired-state": ["running"]}"#)
            #expect(running.count == 2 && running.allSatisfy { $0.desiredState == .running })
            #expect(
                try await taskIDs(client, #"{"desired-state":{"Shutdown":true}}"#).map(\.id) == [
                    "oldtask0000000000000000000"
                ])
            // Labels are the service's.
            #expect(try await taskIDs(client, #"{"label":{"tier=front":true}}"#).count == 3)
            #expect(try await taskIDs(client, #"{"label":["tier"]}"#).count == 3)
            #expect(try await taskIDs(client, #"{"label":["tier=back"]}"#).isEmpty)
            // Nodes by ID or hostname.
            #expect(
                try await taskIDs(client, #"{"node":["beta"]}"#).allSatisfy {
                    $0.nodeID == FakeServiceEngine.nodeIDs[1]
                })
            #expect(try await taskIDs(client, #"{"node":["\#(FakeServiceEngine.nodeIDs[0])"]}"#).count == 3)
            // Names (`service.slot.id`) and IDs by prefix.
            #expect(try await taskIDs(client, #"{"name":["db.1."]}"#).count == 1)
            #expect(try await taskIDs(client, #"{"id":["oldtask"]}"#).count == 1)
            // Runtime.
            #expect(try await taskIDs(client, #"{"runtime":["container"]}"#).count == 4)
            #expect(try await taskIDs(client, #"{"runtime":["process"]}"#).isEmpty)
        }
    }

    /// The docker CLI's progress display asks for the tasks of the service's current template only.
    @Test func upToDateKeepsTasksOfTheCurrentTemplate() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let webID = try await populated(backend, client: client)
            let filter = #"{"_up-to-date":{"true":true},"service":{"\#(webID)":true}}"#
            let current = try await taskIDs(client, filter)
            #expect(current.count == 2)
            #expect(!current.contains { $0.id == "oldtask0000000000000000000" })

            // Scaling does not make tasks stale.
            let web = try await client.execute(uri: "/v1.41/services/web", method: .get).decode(SwarmService.self)
            var scaled = web.spec
            scaled.mode = .replicated(replicas: 3)
            let response = try await client.execute(
                uri: "/v1.41/services/web/update?version=\(web.version.index)", method: .post,
                body: try jsonBody(scaled))
            #expect(response.status == .ok)
            let afterScale = try await taskIDs(client, filter)
            #expect(afterScale.count == 3)
            #expect(Set(current.map(\.id)).isSubset(of: Set(afterScale.map(\.id))))

            // A new image does.
            let latest = try await client.execute(uri: "/v1.41/services/web", method: .get).decode(SwarmService.self)
            var updated = latest.spec
            updated.taskTemplate.containerSpec?.image = "busybox:new"
            _ = try await client.execute(
                uri: "/v1.41/services/web/update?version=\(latest.version.index)", method: .post,
                body: try jsonBody(updated))
            let afterUpdate = try await taskIDs(client, filter)
            #expect(afterUpdate.count == 3)
            #expect(Set(afterUpdate.map(\.id)).isDisjoint(with: Set(afterScale.map(\.id))))
        }
    }

    @Test func aTaskWithDefaultsFilledInIsStillUpToDate() {
        let service = SwarmService(
            id: "s1", createdAt: FakeEngine.epoch, updatedAt: FakeEngine.epoch,
            spec: serviceSpec("web", labels: ["io.starling.runtime": "process"], args: ["sleep", "1"]))
        func task(_ spec: TaskSpec) -> SwarmTask {
            SwarmTask(
                id: "t1", createdAt: FakeEngine.epoch, updatedAt: FakeEngine.epoch, spec: spec, serviceID: "s1",
                status: TaskStatus(timestamp: FakeEngine.epoch, state: .running), desiredState: .running)
        }
        let template = service.spec.taskTemplate
        #expect(TaskFilter.isUpToDate(task(template), service: service))
        #expect(
            TaskFilter.isUpToDate(
                task(template.insertingDefaults(serviceLabels: service.spec.labels)), service: service))
        var forced = template
        forced.forceUpdate = 1
        #expect(!TaskFilter.isUpToDate(task(forced), service: service))
    }

    @Test func invalidFiltersAreRefused() async throws {
        try await engineApplication(FakeServiceEngine()).test(.router) { client in
            _ = try await client.createService(serviceSpec("web"))
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"colour":["red"]}"#, .badRequest, "invalid filter 'colour'"),
                (#"{"desired-state":["sleeping"]}"#, .badRequest, "Invalid desired-state filter: 'sleeping'"),
                (#"{"service":["nope"]}"#, .notFound, "service nope not found"),
                (#"{"node":["gamma"]}"#, .notFound, "node gamma not found"),
                ("{not json", .badRequest, "invalid filter '{not json'"),
            ]
            for (filters, status, message) in cases {
                let response = try await client.execute(
                    uri: "/v1.41/tasks?filters=\(formEscape(filters))", method: .get)
                #expect(response.status == status, "\(filters)")
                #expect(response.errorMessage == message)
            }
        }
    }

    @Test func inspectByIDPrefixOrName() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            _ = try await client.createService(serviceSpec("db", replicas: 1))
            let task = try #require(await backend.taskList.first)
            for reference in [task.id, String(task.id.prefix(6)), "db.1.\(task.id)"] {
                let response = try await client.execute(uri: "/v1.41/tasks/\(reference)", method: .get)
                #expect(response.status == .ok)
                let found = try response.decode(SwarmTask.self)
                #expect(found.id == task.id)
                #expect(found.slot == 1)
            }
            let missing = try await client.execute(uri: "/v1.41/tasks/nope", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.errorMessage == "task nope not found")
        }
    }
}
