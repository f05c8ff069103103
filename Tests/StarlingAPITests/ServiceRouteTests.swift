import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StarlingAPI
import StarlingModel
import Testing

/// A service spec as a client sends it: `{"Name": name, "TaskTemplate": {"ContainerSpec": {"Image": image}}, ...}`.
func serviceSpec(
    _ name: String, image: String? = "busybox:latest", replicas: UInt64 = 2, labels: [String: String]? = nil,
    args: [String]? = nil
) -> ServiceSpec {
    ServiceSpec(
        name: name, labels: labels,
        taskTemplate: TaskSpec(containerSpec: ContainerSpec(image: image, args: args)),
        mode: .replicated(replicas: replicas))
}

extension TestClientProtocol {
    /// `POST /v1.41/services/create` with `body` as is.
    func createService(_ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(
            uri: "/v1.41/services/create", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func createService(_ spec: ServiceSpec) async throws -> String {
        let response = try await execute(uri: "/v1.41/services/create", method: .post, body: try jsonBody(spec))
        #expect(response.status == .created, "\(response.text)")
        return try #require(response.jsonObject?["ID"] as? String)
    }
}

@Suite struct ServiceRouteTests {
    @Test func createAnswers201WithTheIDAndNoWarnings() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let body =
                #"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"Mode":{"Replicated":{"Replicas":2}}}"#
            let headers: HTTPFields = [HTTPField.Name("X-Registry-Auth")!: "e30="]
            let response = try await client.createService(body, headers: headers)
            #expect(response.status == .created)
            #expect(response.headers[.contentType] == "application/json")
            let object = try #require(response.jsonObject)
            #expect(object.keys.sorted() == ["ID"], "no Warnings key when there are none, as dockerd")
            #expect((object["ID"] as? String)?.hasPrefix("svc") == true)
        }
        #expect(await backend.createdSpecs.map(\.name) == ["web"])
        #expect(await backend.lastRegistryAuth == "e30=")
    }

    /// The python SDK's body: lower-case mode keys, `Command` instead of `Args`, explicit nulls.
    @Test func createAcceptsThePythonSDKsBody() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let body = """
                {"Name": "py", "Labels": null, "TaskTemplate": {"ContainerSpec": {"Image": "busybox", \
                "Command": ["sleep", "60"], "Args": null}, "RestartPolicy": null}, \
                "Mode": {"replicated": {"Replicas": 3}}, "UpdateConfig": {"FailureAction": "continue"}}
                """
            let response = try await client.createService(body)
            #expect(response.status == .created)
        }
        let spec = try #require(await backend.createdSpecs.first)
        #expect(spec.mode == .replicated(replicas: 3))
        #expect(spec.taskTemplate.containerSpec?.command == ["sleep", "60"])
        #expect(spec.updateConfig?.failureAction == .continue)
    }

    @Test(arguments: [
        (
            #"{"Name":"web","TaskTemplate":{"ContainerSpec":{}}}"#,
            "rpc error: code = InvalidArgument desc = ContainerSpec: image reference must be provided"
        ),
        (
            #"{"Name":"web","TaskTemplate":{}}"#,
            "rpc error: code = InvalidArgument desc = ContainerSpec: missing in service spec"
        ),
        (
            #"{"Name":"web!","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}"#,
            "rpc error: code = InvalidArgument desc = name must be valid as a DNS name component"
        ),
        (
            #"{"Name":"p","TaskTemplate":{"Runtime":"process","ContainerSpec":{}}}"#,
            "rpc error: code = InvalidArgument desc = ContainerSpec: a process task needs a command (ContainerSpec.Command or ContainerSpec.Args)"
        ),
        (
            #"{"Name":"x","Labels":{"io.starling.runtime":"wasm"},"TaskTemplate":{"ContainerSpec":{"Image":"a"}}}"#,
            "unsupported runtime type: \"wasm\""
        ),
        (
            #"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox"},"Resources":{"Limits":{"MemoryBytes":1024}}}}"#,
            "rpc error: code = InvalidArgument desc = invalid memory value 1024: Must be at least 4MiB"
        ),
        (
            #"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox","Healthcheck":{"Interval":10}}}}"#,
            "rpc error: code = InvalidArgument desc = ContainerSpec: Interval in HealthConfig cannot be less than 1ms"
        ),
        (
            #"{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"Mode":{"Replicated":{},"Global":{}}}"#,
            "invalid JSON in request body: field \"Mode\": must specify only one service mode"
        ),
    ])
    func createRefusesInvalidSpecsWith400(body: String, message: String) async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let response = try await client.createService(body)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.errorMessage == message)
        }
        #expect(await backend.createdSpecs.isEmpty)
    }

    /// Process tasks need no image: by `Runtime`, or by the label the docker CLI can set.
    @Test func processServicesNeedACommandNotAnImage() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let byRuntime =
                #"{"Name":"p1","TaskTemplate":{"Runtime":"process","ContainerSpec":{"Args":["sleep","1"]}}}"#
            let first = try await client.createService(byRuntime)
            #expect(first.status == .created)
            let byLabel = """
                {"Name":"p2","Labels":{"io.starling.runtime":"process"},\
                "TaskTemplate":{"ContainerSpec":{"Image":"-","Args":["sleep","1"]}}}
                """
            let second = try await client.createService(byLabel)
            #expect(second.status == .created)
        }
        #expect(await backend.services.map(\.spec.taskRuntime) == [.process, .process])
    }

    @Test func listFiltersInBothShapes() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            _ = try await client.createService(serviceSpec("web", labels: ["tier": "front", "stack": "a"]))
            _ = try await client.createService(serviceSpec("webapi", labels: ["tier": "back"]))
            let worker = try await client.createService(serviceSpec("worker", labels: [:]))
            var global = serviceSpec("agent")
            global.mode = .global
            _ = try await client.createService(global)

            func names(_ filters: String) async throws -> [String] {
                let response = try await client.execute(
                    uri: "/v1.41/services?filters=\(formEscape(filters))", method: .get)
                #expect(response.status == .ok, "\(response.text)")
                return try response.decode([SwarmService].self).map(\.spec.name).sorted()
            }
            #expect(try await names(#"{"name":{"web":true}}"#) == ["web", "webapi"])
            #expect(try await names(#"{"name": ["web"]}"#) == ["web", "webapi"])
            #expect(try await names(#"{"label":{"tier":true}}"#) == ["web", "webapi"])
            #expect(try await names(#"{"label":{"tier=back":true}}"#) == ["webapi"])
            #expect(try await names(#"{"label": ["tier=front", "stack"]}"#) == ["web"])
            #expect(try await names(#"{"mode":{"global":true}}"#) == ["agent"])
            #expect(try await names(#"{"id":{"\#(worker.prefix(10))":true}}"#) == ["worker"])
            #expect(try await names(#"{"name":{"web":false}}"#) == ["agent", "web", "webapi", "worker"])

            let unknown = try await client.execute(
                uri: "/v1.41/services?filters=\(formEscape(#"{"colour":["red"]}"#))", method: .get)
            #expect(unknown.status == .badRequest)
            #expect(unknown.errorMessage == "invalid filter 'colour'")
            let badMode = try await client.execute(
                uri: "/v1.41/services?filters=\(formEscape(#"{"mode":["sideways"]}"#))", method: .get)
            #expect(badMode.status == .badRequest)
            #expect(badMode.errorMessage == "Invalid filter 'mode=sideways'")
        }
    }

    @Test func statusTrueCountsTasks() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            _ = try await client.createService(serviceSpec("web", replicas: 3))
            var global = serviceSpec("agent")
            global.mode = .global
            _ = try await client.createService(global)

            let plain = try await client.execute(uri: "/v1.41/services", method: .get)
            #expect(try plain.decode([SwarmService].self).allSatisfy { $0.serviceStatus == nil })
            #expect(!plain.text.contains("ServiceStatus"))

            for query in ["status=true", "status=True", "status=1"] {
                let response = try await client.execute(uri: "/v1.41/services?\(query)", method: .get)
                let services = try response.decode([SwarmService].self)
                let web = try #require(services.first { $0.spec.name == "web" })
                #expect(web.serviceStatus == ServiceStatus(runningTasks: 3, desiredTasks: 3, completedTasks: 0))
                let agent = try #require(services.first { $0.spec.name == "agent" })
                #expect(agent.serviceStatus == ServiceStatus(runningTasks: 2, desiredTasks: 2, completedTasks: 0))
            }
        }
    }

    @Test func inspectByIDNameOrPrefixWithOrWithoutDefaults() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            let id = try await client.createService(serviceSpec("web"))
            _ = try await client.createService(serviceSpec("api"))
            for reference in [id, "web", String(id.prefix(5))] {
                let response = try await client.execute(uri: "/v1.41/services/\(reference)", method: .get)
                #expect(response.status == .ok)
                #expect(try response.decode(SwarmService.self).id == id)
            }
            let raw = try await client.execute(uri: "/v1.41/services/web?insertDefaults=false", method: .get)
            let rawSpec = try raw.decode(SwarmService.self).spec
            #expect(rawSpec.taskTemplate.restartPolicy == nil)
            #expect(rawSpec.updateConfig == nil)

            let filled = try await client.execute(uri: "/v1.41/services/web?insertDefaults=true", method: .get)
            let spec = try filled.decode(SwarmService.self).spec
            #expect(spec == rawSpec.insertingDefaults())
            #expect(spec.taskTemplate.restartPolicy == ServiceDefaults.restartPolicy)
            #expect(spec.updateConfig == ServiceDefaults.updateConfig)
            #expect(spec.taskTemplate.runtime == .container)

            let missing = try await client.execute(uri: "/v1.41/services/nope", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.errorMessage == "service nope not found")
            let ambiguous = try await client.execute(uri: "/v1.41/services/svc", method: .get)
            #expect(ambiguous.status == .badRequest)
            #expect(ambiguous.errorMessage == "service svc is ambiguous (2 matches found)")
        }
    }

    @Test func updateChecksTheVersionAndAnswersWarningsNull() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            _ = try await client.createService(serviceSpec("web"))
            let current = try await client.execute(uri: "/v1.41/services/web", method: .get).decode(SwarmService.self)
            var spec = current.spec
            spec.mode = .replicated(replicas: 5)
            let path = "/v1.41/services/\(current.id)/update"

            let updated = try await client.execute(
                uri: "\(path)?version=\(current.version.index)&registryAuthFrom=spec", method: .post,
                body: try jsonBody(spec))
            #expect(updated.status == .ok)
            #expect(updated.text == #"{"Warnings":null}"#)
            #expect(await backend.lastUpdateOptions == ServiceUpdateOptions(registryAuthFrom: .spec, rollback: .none))

            let stale = try await client.execute(
                uri: "\(path)?version=\(current.version.index)", method: .post, body: try jsonBody(spec))
            #expect(stale.status == .internalServerError)
            #expect(stale.errorMessage == "rpc error: code = Unknown desc = update out of sequence")

            let noVersion = try await client.execute(uri: path, method: .post, body: try jsonBody(spec))
            #expect(noVersion.status == .badRequest)

            let latest = try await client.execute(uri: "/v1.41/services/web", method: .get).decode(SwarmService.self)
            #expect(latest.spec.mode == .replicated(replicas: 5))
            let rollback = try await client.execute(
                uri: "\(path)?version=\(latest.version.index)&rollback=previous&registryAuthFrom=previous-spec",
                method: .post, body: try jsonBody(latest.spec))
            #expect(rollback.status == .ok)
            #expect(
                await backend.lastUpdateOptions
                    == ServiceUpdateOptions(registryAuthFrom: .previousSpec, rollback: .previous))
            let back = try await client.execute(uri: "/v1.41/services/web", method: .get).decode(SwarmService.self)
            #expect(back.spec.mode == .replicated(replicas: 2))

            let badRollback = try await client.execute(
                uri: "\(path)?version=\(back.version.index)&rollback=sideways", method: .post, body: try jsonBody(spec))
            #expect(badRollback.status == .badRequest)
            #expect(badRollback.errorMessage == "unrecognized rollback option sideways")

            var invalid = spec
            invalid.taskTemplate.containerSpec?.image = nil
            let refused = try await client.execute(
                uri: "\(path)?version=\(back.version.index)", method: .post, body: try jsonBody(invalid))
            #expect(refused.status == .badRequest)
        }
    }

    @Test func removeAnswers200WithoutBodyOr404() async throws {
        let backend = FakeServiceEngine()
        try await engineApplication(backend).test(.router) { client in
            _ = try await client.createService(serviceSpec("web"))
            let removed = try await client.execute(uri: "/v1.41/services/web", method: .delete)
            #expect(removed.status == .ok)
            #expect(removed.body.readableBytes == 0)
            let again = try await client.execute(uri: "/v1.41/services/web", method: .delete)
            #expect(again.status == .notFound)
            #expect(again.errorMessage == "service web not found")
        }
        #expect(await backend.services.isEmpty)
        #expect(await backend.taskList.isEmpty)
    }

    @Test func distributionIsABackendCallThatFailsByDefault() async throws {
        try await engineApplication(FakeServiceEngine()).test(.router) { client in
            for name in ["busybox:latest", "registry.local:5000/team/app:1.0"] {
                let response = try await client.execute(uri: "/v1.41/distribution/\(name)/json", method: .get)
                #expect(response.status == .notFound)
                #expect(response.errorMessage == "no such image: \(name): this daemon does not query registries")
            }
        }
    }

    /// What a backend that does not implement services yet answers.
    @Test func unimplementedCallsAnswer501() async throws {
        try await engineApplication(FakeEngine()).test(.router) { client in
            let response = try await client.execute(uri: "/v1.41/services", method: .get)
            #expect(response.status == .notImplemented)
            #expect(response.errorMessage == "GET /services is not implemented by this daemon yet")
        }
    }
}
