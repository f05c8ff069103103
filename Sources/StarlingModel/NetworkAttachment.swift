import Foundation

/// A task's place on one network: the network as the managers know it and the task's addresses on it
/// (`Task.NetworksAttachments`).
///
/// The v1.41 document points `Network` at the `/networks` object, but dockerd writes the swarm network object here
/// (ID, version, spec, driver state, IPAM options), as its own example shows; that is what is modelled.
public struct NetworkAttachment: Codable, Hashable, Sendable {
    /// A swarm network as SwarmKit stores it.
    public struct Network: Codable, Hashable, Sendable {
        /// What the user asked for when creating the network.
        public struct Spec: Codable, Hashable, Sendable {
            /// The network this one takes its configuration from (`--config-from`).
            public struct ConfigReference: Codable, Hashable, Sendable {
                public var network: String?

                public init(network: String? = nil) { self.network = network }

                enum CodingKeys: String, CodingKey { case network = "Network" }
            }

            public var name: String?
            public var labels: [String: String]?
            public var driverConfiguration: Driver?
            public var ipv6Enabled: Bool?
            public var `internal`: Bool?
            public var attachable: Bool?
            public var ingress: Bool?
            public var ipamOptions: IPAMOptions?
            public var configFrom: ConfigReference?
            public var scope: String?

            public init(name: String? = nil, labels: [String: String]? = nil, driverConfiguration: Driver? = nil) {
                self.name = name
                self.labels = labels
                self.driverConfiguration = driverConfiguration
            }

            enum CodingKeys: String, CodingKey {
                case name = "Name"
                case labels = "Labels"
                case driverConfiguration = "DriverConfiguration"
                case ipv6Enabled = "IPv6Enabled"
                case `internal` = "Internal"
                case attachable = "Attachable"
                case ingress = "Ingress"
                case ipamOptions = "IPAMOptions"
                case configFrom = "ConfigFrom"
                case scope = "Scope"
            }
        }

        public var id: String?
        public var version: ObjectVersion?
        public var createdAt: Timestamp?
        public var updatedAt: Timestamp?
        public var spec: Spec?
        /// The driver the network was created with and the options it chose (the VXLAN ID of overlays).
        public var driverState: Driver?
        public var ipamOptions: IPAMOptions?

        public init(id: String? = nil, spec: Spec? = nil, driverState: Driver? = nil, ipamOptions: IPAMOptions? = nil) {
            self.id = id
            self.spec = spec
            self.driverState = driverState
            self.ipamOptions = ipamOptions
        }

        enum CodingKeys: String, CodingKey {
            case id = "ID"
            case version = "Version"
            case createdAt = "CreatedAt"
            case updatedAt = "UpdatedAt"
            case spec = "Spec"
            case driverState = "DriverState"
            case ipamOptions = "IPAMOptions"
        }
    }

    /// The IPAM driver and the subnets of a network.
    public struct IPAMOptions: Codable, Hashable, Sendable {
        /// One subnet of the network.
        public struct Config: Codable, Hashable, Sendable {
            public var subnet: String?
            public var range: String?
            public var gateway: String?

            public init(subnet: String? = nil, range: String? = nil, gateway: String? = nil) {
                self.subnet = subnet
                self.range = range
                self.gateway = gateway
            }

            enum CodingKeys: String, CodingKey {
                case subnet = "Subnet"
                case range = "Range"
                case gateway = "Gateway"
            }
        }

        public var driver: Driver?
        public var configs: [Config]?

        public init(driver: Driver? = nil, configs: [Config]? = nil) {
            self.driver = driver
            self.configs = configs
        }

        enum CodingKeys: String, CodingKey {
            case driver = "Driver"
            case configs = "Configs"
        }
    }

    public var network: Network?
    /// The task's addresses with prefix length, for example `10.255.0.10/16`.
    public var addresses: [String]?

    public init(network: Network? = nil, addresses: [String]? = nil) {
        self.network = network
        self.addresses = addresses
    }

    enum CodingKeys: String, CodingKey {
        case network = "Network"
        case addresses = "Addresses"
    }
}
