import Foundation
// swift-tools-version:6.2
// Starling: a container orchestrator that speaks the Docker Swarm API.
//
// Module layout (dependencies point one way, top to bottom):
//
//   StarlingModel            Docker swarm object types, errors, filters (Foundation only)
//   StarlingStore            revisioned key-value store (etcd semantics), SQLite backend, typed object view
//   StarlingPKI              root CA, node certificates, join tokens
//   StarlingControlPlane     gRPC messages, serializers, service descriptors, mutual-TLS transports
//   StarlingManager          swarm control, CA/join service, dispatcher, node health   (model, store, pki, control plane)
//   StarlingScheduler        placement: filters, explanations, spread ranking; pure over a snapshot (model)
//   StarlingOrchestrator     reconcilers as pure functions: replicated/global/job orchestration, restarts (model)
//   StarlingImage            images: references, content store, registry client, archives, layers, overlayfs (model)
//   StarlingExecutor         runs tasks: the executor protocol, process executor, cgroups, health checks (model)
//   StarlingAgent            agent session: register, heartbeat, reconnect             (model, pki, control plane)
//   StarlingAPI              Docker Engine API over HTTP (Hummingbird)                 (model)
//   StarlingDaemon           one process: state dir, ServiceGroup, wiring              (all of the above)
//   StarlingClient           Engine API client over a unix socket or TCP               (model)
//   StarlingDev              the local dev cluster: namespaces, bridge, daemons        (model, client)
//   StarlingCLI              the `starling` commands                                   (daemon, client, dev)
//   starling                 the executable: a thin main
import PackageDescription

// CI (scripts/test.sh) sets STARLING_WERROR=1: warnings in Starling's own targets are errors there.
let warningsAreErrors = ProcessInfo.processInfo.environment["STARLING_WERROR"] == "1"

let strict: [SwiftSetting] =
    [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ] + (warningsAreErrors ? [.treatAllWarnings(as: .error)] : [])

let package = Package(
    name: "starling",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "starling", targets: ["starling"]),
        .executable(name: "starling-bench", targets: ["StarlingBench"]),
        .executable(name: "starling-store-crash-writer", targets: ["StarlingStoreCrashWriter"]),
        .executable(name: "starling-scheduler-bench", targets: ["StarlingSchedulerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.0"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(
            name: "StarlingModel",
            swiftSettings: strict
        ),
        .target(
            name: "StarlingStore",
            dependencies: [
                "StarlingModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingPKI",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingControlPlane",
            dependencies: [
                "StarlingModel",
                "StarlingPKI",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingManager",
            dependencies: [
                "StarlingModel", "StarlingStore", "StarlingPKI", "StarlingControlPlane", "StarlingScheduler",
                "StarlingOrchestrator",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingAgent",
            dependencies: [
                "StarlingModel", "StarlingPKI", "StarlingControlPlane", "StarlingExecutor",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingScheduler",
            dependencies: ["StarlingModel"],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingOrchestrator",
            dependencies: ["StarlingModel"],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingImage",
            dependencies: [
                "StarlingModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingExecutor",
            dependencies: [
                "StarlingModel", "StarlingImage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingAPI",
            dependencies: [
                "StarlingModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingDaemon",
            dependencies: [
                "StarlingModel", "StarlingStore", "StarlingPKI", "StarlingControlPlane",
                "StarlingManager", "StarlingAgent", "StarlingAPI", "StarlingClient", "StarlingExecutor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingClient",
            dependencies: [
                "StarlingModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingDev",
            dependencies: ["StarlingModel", "StarlingClient"],
            swiftSettings: strict
        ),
        .target(
            name: "StarlingCLI",
            dependencies: [
                "StarlingModel", "StarlingClient", "StarlingDaemon", "StarlingDev",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "starling",
            dependencies: ["StarlingCLI"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "StarlingBench",
            dependencies: [
                "StarlingModel", "StarlingPKI", "StarlingControlPlane", "StarlingClient", "StarlingDev",
                "StarlingExecutor", .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Shared by the test targets only: a manual clock and a seeded random generator.
        .target(name: "StarlingTestSupport", swiftSettings: strict),
        .executableTarget(
            name: "StarlingSchedulerBench",
            dependencies: [
                "StarlingScheduler", "StarlingModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "StarlingStoreCrashWriter",
            dependencies: ["StarlingStore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StarlingSchedulerTests", dependencies: ["StarlingScheduler", "StarlingModel"], swiftSettings: strict),
        .testTarget(
            name: "StarlingOrchestratorTests",
            dependencies: ["StarlingTestSupport", "StarlingOrchestrator", "StarlingModel"],
            swiftSettings: strict),
        .testTarget(
            name: "StarlingAgentTests",
            dependencies: [
                "StarlingTestSupport", "StarlingAgent", "StarlingExecutor", "StarlingModel", "StarlingControlPlane",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "StarlingImageTests",
            dependencies: [
                "StarlingImage", "StarlingModel", "StarlingTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StarlingExecutorTests", dependencies: ["StarlingTestSupport", "StarlingExecutor", "StarlingModel"],
            exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "StarlingModelTests", dependencies: ["StarlingModel"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "StarlingStoreTests", dependencies: ["StarlingTestSupport", "StarlingStore", "StarlingModel"],
            swiftSettings: strict),
        .testTarget(
            name: "StarlingPKITests",
            dependencies: [
                "StarlingPKI", "StarlingControlPlane", "StarlingModel",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StarlingManagerTests",
            dependencies: [
                "StarlingManager", "StarlingStore", "StarlingModel", "StarlingPKI", "StarlingControlPlane",
                "StarlingOrchestrator",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "StarlingAPITests",
            dependencies: [
                "StarlingAPI", "StarlingModel", "StarlingClient",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "StarlingModel", "StarlingClient", "StarlingDev", "StarlingExecutor", "StarlingTestSupport",
            ],
            swiftSettings: strict),
    ]
)
