import Foundation
import StarlingModel
import Testing

/// The bodies real clients send to `POST /services/create` and `/update` decode, and read back the way dockerd
/// would show them.
@Suite struct ClientBodyTests {
    /// docker CLI 28.2.2, `service create` of capture 10a (reference/docker-api-surface.md §4), verbatim.
    static let cliCreate = """
        {"Name":"rs-a","Labels":{},
         "TaskTemplate":{"ContainerSpec":{"Image":"busybox:local","Args":["sh","-c","..."],"Env":["FOO=bar","BAZ=qux"],"Init":false,
             "Mounts":[{"Type":"volume","Source":"rsvol","Target":"/data"}],
             "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":2000000000},"DNSConfig":{}},
           "Resources":{"Limits":{"NanoCPUs":500000000,"MemoryBytes":67108864},"Reservations":{"MemoryBytes":16777216}},
           "RestartPolicy":{"Condition":"on-failure","Delay":5000000000,"MaxAttempts":0},
           "Placement":{"Constraints":["node.role==manager","node.labels.zone==a"],
                        "Preferences":[{"Spread":{"SpreadDescriptor":"node.labels.zone"}}]},"ForceUpdate":0},
         "Mode":{"Replicated":{"Replicas":2}},
         "UpdateConfig":{"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},
         "EndpointSpec":{"Mode":"vip","Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"}]}}
        """

    /// python docker SDK 7.1.0, `client.services.create(image, command=[...], mode=ServiceMode("replicated",
    /// replicas=2), ...)`, as the SDK serializes it (captured from `APIClient.create_service` with the transport
    /// replaced): `Command` instead of `Args`, explicit nulls, lower-case mode key, ports without `PublishMode`,
    /// `FailureAction: continue`, `ReadOnly: false`.
    static let pythonCreate = """
        {"Name": "py-a", "Labels": {"team": "a"}, "TaskTemplate": {"ContainerSpec": {"Image": "busybox:local", \
        "Command": ["sh", "-c", "sleep 1000"], "Args": null, "Env": ["FOO=bar"], "Labels": {"c": "d"}, \
        "Mounts": [{"Target": "/data", "Source": "rsvol", "Type": "volume", "ReadOnly": false}], \
        "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 2000000000, "Timeout": null, "Retries": null, \
        "StartPeriod": null}}, "Resources": {"Limits": {"NanoCPUs": 500000000, "MemoryBytes": 67108864}, \
        "Reservations": {"MemoryBytes": 16777216}}, "RestartPolicy": {"Condition": "on-failure", "Delay": 5000000000, \
        "MaxAttempts": 0, "Window": 0}, "Placement": {"Constraints": ["node.role==manager"], "Preferences": \
        [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}]}}, "Mode": {"replicated": {"Replicas": 2}}, \
        "Networks": null, "EndpointSpec": {"Ports": [{"Protocol": "tcp", "PublishedPort": 8080, "TargetPort": 80}]}, \
        "UpdateConfig": {"Parallelism": 1, "FailureAction": "continue"}}
        """

    /// The same service in the docker CLI's shape: capitalized keys, no nulls.
    static let pythonCreateInCLIShape = """
        {"Name":"py-a","Labels":{"team":"a"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox:local",
        "Command":["sh","-c","sleep 1000"],"Env":["FOO=bar"],"Labels":{"c":"d"},
        "Mounts":[{"Target":"/data","Source":"rsvol","Type":"volume","ReadOnly":false}],
        "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":2000000000}},
        "Resources":{"Limits":{"NanoCPUs":500000000,"MemoryBytes":67108864},"Reservations":{"MemoryBytes":16777216}},
        "RestartPolicy":{"Condition":"on-failure","Delay":5000000000,"MaxAttempts":0,"Window":0},
        "Placement":{"Constraints":["node.role==manager"],"Preferences":[{"Spread":{"SpreadDescriptor":"node.labels.zone"}}]}},
        "Mode":{"Replicated":{"Replicas":2}},
        "EndpointSpec":{"Ports":[{"Protocol":"tcp","PublishedPort":8080,"TargetPort":80}]},
        "UpdateConfig":{"Parallelism":1,"FailureAction":"continue"}}
        """

    static func decode(_ text: String) throws -> ServiceSpec {
        try StarlingJSON.decode(ServiceSpec.self, from: Data(text.utf8))
    }

    @Test func cliCreateRoundTrips() throws {
        let spec = try ServiceRoundTripTests.roundTrip(ServiceSpec.self, Data(Self.cliCreate.utf8))
        #expect(spec.name == "rs-a")
        #expect(spec.labels == [:])
        #expect(spec.mode == .replicated(replicas: 2))
        let container = try #require(spec.taskTemplate.containerSpec)
        #expect(container.args == ["sh", "-c", "..."])
        #expect(container.command == nil)
        #expect(container.useInit == false)
        #expect(container.mounts == [Mount(type: .volume, source: "rsvol", target: "/data")])
        #expect(container.healthcheck == HealthConfig(test: ["CMD-SHELL", "true"], interval: 2_000_000_000))
        #expect(container.dnsConfig == ContainerSpec.DNSConfig())
        #expect(spec.taskTemplate.resources?.limits == ResourceLimit(nanoCPUs: 500_000_000, memoryBytes: 67_108_864))
        #expect(spec.taskTemplate.resources?.reservations == Resources(memoryBytes: 16_777_216))
        #expect(
            spec.taskTemplate.restartPolicy
                == RestartPolicy(condition: .onFailure, delay: 5_000_000_000, maxAttempts: 0))
        #expect(spec.taskTemplate.placement?.preferences == [.spread("node.labels.zone")])
        #expect(spec.taskTemplate.forceUpdate == 0)
        #expect(spec.updateConfig?.order == .stopFirst)
        #expect(spec.endpointSpec?.mode == .vip)
        #expect(spec.endpointSpec?.ports?.first?.publishMode == .ingress)
        #expect(spec.taskRuntime == .container)
    }

    @Test func pythonBodyDecodesToTheCLIShape() throws {
        let python = try Self.decode(Self.pythonCreate)
        #expect(python == (try Self.decode(Self.pythonCreateInCLIShape)))
        #expect(python.mode == .replicated(replicas: 2))
        #expect(python.taskTemplate.containerSpec?.command == ["sh", "-c", "sleep 1000"])
        #expect(python.taskTemplate.containerSpec?.args == nil)
        #expect(python.taskTemplate.containerSpec?.healthcheck?.timeout == nil)
        #expect(python.networks == nil)
        #expect(python.endpointSpec?.ports?.first?.publishMode == nil)
        #expect(python.updateConfig?.failureAction == .continue)
        #expect(python.taskTemplate.containerSpec?.mounts?.first?.readOnly == false)
        // Read back, it has dockerd's shape: capitalized mode, no nulls.
        let encoded = try ServiceRoundTripTests.canonical(StarlingJSON.encode(python))
        let cliShape = try ServiceRoundTripTests.canonical(Data(Self.pythonCreateInCLIShape.utf8))
        #expect(encoded == cliShape)
    }

    @Test func pythonGlobalAndJobModes() throws {
        let global = try Self.decode(
            #"{"Name": "py-g", "Labels": null, "TaskTemplate": {"ContainerSpec": {"Image": "busybox:local", "#
                + #""Command": null, "Args": null}}, "Mode": {"global": {}}, "Networks": null, "EndpointSpec": null}"#)
        #expect(global.mode == .global)
        #expect(global.labels == nil)
        #expect(global.taskTemplate.containerSpec == ContainerSpec(image: "busybox:local"))
        let job = try Self.decode(
            #"{"Name": "py-j", "Labels": null, "TaskTemplate": {"ContainerSpec": {"Image": "busybox:local", "#
                + #""Command": null, "Args": null}}, "Mode": {"ReplicatedJob": {"MaxConcurrent": 2, "#
                + #""TotalCompletions": 3}}, "Networks": null, "EndpointSpec": null}"#)
        #expect(job.mode == .replicatedJob(maxConcurrent: 2, totalCompletions: 3))
        #expect(job.mode.isJob)
    }

    /// What `docker stack deploy` sends (§5): null privileges, secrets and configs with file targets, named networks.
    @Test func stackDeployShapes() throws {
        let spec = try Self.decode(
            """
            {"Name":"stk_web","Labels":{"com.docker.stack.image":"busybox","com.docker.stack.namespace":"stk"},
             "TaskTemplate":{"ContainerSpec":{"Image":"busybox","Labels":{"com.docker.stack.namespace":"stk"},
               "Privileges":{"CredentialSpec":null,"SELinuxContext":null,"NoNewPrivileges":false},
               "Mounts":[{"Type":"volume","Source":"stk_webdata","Target":"/data",
                          "VolumeOptions":{"Labels":{"com.docker.stack.namespace":"stk"}}}],
               "Secrets":[{"File":{"Name":"db_password","UID":"0","GID":"0","Mode":292},"SecretID":"s1",
                           "SecretName":"stk_db_password"}],
               "Configs":[{"File":{"Name":"/etc/app.conf","UID":"0","GID":"0","Mode":292},"ConfigID":"c1",
                           "ConfigName":"stk_app"}]},
               "Networks":[{"Target":"stk_appnet","Aliases":["web"]}]},
             "Mode":{"Global":{}},
             "UpdateConfig":{"Parallelism":1,"FailureAction":"rollback","Order":"start-first"},
             "EndpointSpec":{"Mode":"dnsrr"}}
            """)
        let container = try #require(spec.taskTemplate.containerSpec)
        #expect(container.privileges == ContainerSpec.Privileges(noNewPrivileges: false))
        #expect(container.secrets?.first?.file?.mode == 0o444)
        #expect(container.configs?.first?.configName == "stk_app")
        #expect(spec.taskTemplate.networks == [NetworkAttachmentConfig(target: "stk_appnet", aliases: ["web"])])
        #expect(spec.mode == .global)
        #expect(spec.updateConfig?.failureAction == .rollback)
        #expect(spec.updateConfig?.order == .startFirst)
        #expect(spec.endpointSpec == EndpointSpec(mode: .dnsrr))
    }

    @Test func keysMatchIgnoringCaseAllTheWayDown() throws {
        let spec = try Self.decode(
            #"{"name":"web","taskTemplate":{"containerSpec":{"image":"nginx","mounts":[{"target":"/x","type":"BIND"}],"#
                + #""HealthCheck":{"test":["NONE"]}},"restartPolicy":{"condition":"ANY"}},"#
                + #""endpointSpec":{"ports":[{"protocol":"TCP","targetPort":80}]}}"#)
        #expect(spec.name == "web")
        #expect(spec.taskTemplate.containerSpec?.image == "nginx")
        #expect(spec.taskTemplate.containerSpec?.mounts == [Mount(type: .bind, target: "/x")])
        #expect(spec.taskTemplate.containerSpec?.healthcheck?.test == ["NONE"])
        #expect(spec.taskTemplate.restartPolicy?.condition == .any)
        #expect(spec.endpointSpec?.ports == [EndpointPortConfig(protocol: .tcp, targetPort: 80)])
        // Values come back in dockerd's spelling.
        let encoded = String(decoding: try StarlingJSON.encode(spec), as: UTF8.self)
        #expect(encoded.contains(#""Type":"bind""#))
        #expect(encoded.contains(#""Protocol":"tcp""#))
        #expect(encoded.contains(#""Healthcheck":{"#))
    }

    @Test func exactKeyWinsOverAFoldedOne() throws {
        let spec = try Self.decode(#"{"name":"lower","Name":"exact"}"#)
        #expect(spec.name == "exact")
    }

    @Test func modeDefaultsLikeDockerd() throws {
        #expect(try Self.decode("{}").mode == .replicated(replicas: 1))
        #expect(try Self.decode(#"{"Mode":{}}"#).mode == .replicated(replicas: 1))
        #expect(try Self.decode(#"{"Mode":null}"#).mode == .replicated(replicas: 1))
        #expect(try Self.decode(#"{"Mode":{"Replicated":{}}}"#).mode == .replicated(replicas: 1))
        #expect(try Self.decode(#"{"Mode":{"GLOBALJOB":{}}}"#).mode == .globalJob)
        #expect(
            try Self.decode(#"{"Mode":{"ReplicatedJob":{}}}"#).mode
                == .replicatedJob(maxConcurrent: 1, totalCompletions: 1))
        #expect(
            try Self.decode(#"{"Mode":{"ReplicatedJob":{"MaxConcurrent":4}}}"#).mode
                == .replicatedJob(maxConcurrent: 4, totalCompletions: 4))
        #expect(try Self.decode(#"{"Mode":{"Replicated":null,"Global":{}}}"#).mode == .global)
        #expect {
            try Self.decode(#"{"Mode":{"Replicated":{"Replicas":1},"Global":{}}}"#)
        } throws: { error in
            "\(error)".contains("must specify only one service mode")
        }
        let global = try ServiceRoundTripTests.canonical(StarlingJSON.encode(ServiceSpec(name: "g", mode: .global)))
        #expect(global["Mode"] as? NSDictionary == ["Global": [:]])
        #expect(global["TaskTemplate"] as? NSDictionary == [:])
    }

    @Test func emptyNameIsLeftOut() throws {
        let json = try ServiceRoundTripTests.canonical(StarlingJSON.encode(ServiceSpec()))
        #expect(json["Name"] == nil)
        #expect(json["Labels"] == nil)
        #expect(json["Mode"] as? NSDictionary == ["Replicated": ["Replicas": 1]])
    }

    @Test func invalidEnumValueNamesTheAcceptedOnes() throws {
        #expect {
            try Self.decode(#"{"UpdateConfig":{"FailureAction":"explode"}}"#)
        } throws: { error in
            let text = "\(error)"
            return text.contains("invalid value 'explode'") && text.contains("'continue', 'pause', 'rollback'")
        }
    }

    /// A decoding error names the field, through the case-insensitive containers too, so the API can say which.
    @Test func decodingErrorsNameTheField() throws {
        #expect {
            try Self.decode(#"{"taskTemplate":{"ContainerSpec":{"Mounts":[{"Target":"/a"},{"Target":7}]}}}"#)
        } throws: { error in
            guard case DecodingError.typeMismatch(_, let context) = error else { return false }
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return path == ["taskTemplate", "ContainerSpec", "Mounts", "1", "Target"]
        }
    }

    @Test func pluginSpecInTheDocumentsSpelling() throws {
        let spec = try StarlingJSON.decode(
            TaskSpec.self,
            from: Data(
                (#"{"PluginSpec":{"Name":"p","Remote":"r","Disabled":true,"PluginPrivilege":[{"Name":"network","#
                    + #""Value":["host"]}]}}"#).utf8))
        #expect(spec.pluginSpec?.name == "p")
        #expect(spec.pluginSpec?.privileges == [PluginSpec.Privilege(name: "network", value: ["host"])])
        let encoded = String(decoding: try StarlingJSON.encode(spec), as: UTF8.self)
        #expect(encoded.contains(#""privileges":[{"#))
    }

    /// Fields newer than v1.41 that the docker CLI 28 can send survive a round trip.
    @Test func newerFieldsRoundTrip() throws {
        try ServiceRoundTripTests.roundTrip(
            ServiceSpec.self,
            Data(
                """
                {"Name":"n","TaskTemplate":{"ContainerSpec":{"Image":"busybox",
                  "Privileges":{"NoNewPrivileges":true,"Seccomp":{"Mode":"custom","Profile":"e30="},"AppArmor":{"Mode":"disabled"}},
                  "Healthcheck":{"Test":["CMD","true"],"StartInterval":1000000000},
                  "Mounts":[{"Type":"bind","Source":"/s","Target":"/t","BindOptions":{"CreateMountpoint":true,
                    "ReadOnlyNonRecursive":true,"ReadOnlyForceRecursive":false}},
                    {"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"Subpath":"sub"}}]}},
                 "Mode":{"Replicated":{"Replicas":1}}}
                """.utf8))
    }
}
