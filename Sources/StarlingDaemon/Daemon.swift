import Foundation
import Logging
import ServiceLifecycle
import StarlingAPI
import StarlingModel
import UnixSignals

/// The `starling daemon` process: one `ServiceGroup` with the Engine API server and the node's swarm membership.
/// SIGTERM or SIGINT shuts it down cleanly.
public enum Daemon {
    public static func run(configuration: DaemonConfiguration, logger: Logger) async throws {
        let node = SwarmNode(configuration: configuration, logger: logger)
        let api = EngineAPIServer(
            address: try EngineAddress(parsing: configuration.apiHost),
            backend: DaemonBackend(node: node, configuration: configuration),
            forwarder: ManagerForwarder(node: node), logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: node),
                    .init(service: api),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.info(
            "starling daemon starting",
            metadata: [
                "version": "\(StarlingVersion.version)", "state-dir": "\(configuration.stateDirectory)",
                "api": "\(configuration.apiHost)", "listen": "\(configuration.listenAddress)",
            ])
        try await group.run()
    }
}
