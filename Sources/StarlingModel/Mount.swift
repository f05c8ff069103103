import Foundation

/// A file system mounted into a task (`--mount type=volume,source=data,target=/data`). Encodes exactly as the Engine
/// API's `Mount`. The python SDK always sends `ReadOnly` (often `false`); the docker CLI leaves it out unless true.
public struct Mount: Codable, Hashable, Sendable {
    /// What `Source` names.
    public enum MountType: String, LenientStringEnum {
        /// A host path.
        case bind
        /// A named volume, created on the node if missing.
        case volume
        /// A memory-backed file system.
        case tmpfs
        /// A Windows named pipe.
        case npipe
    }

    /// Options of `bind` mounts.
    public struct BindOptions: Codable, Hashable, Sendable {
        /// Whether mounts below the source propagate between the host and the task (mount(8)).
        public enum Propagation: String, LenientStringEnum {
            case `private`
            case rprivate
            case shared
            case rshared
            case slave
            case rslave
        }

        public var propagation: Propagation?
        /// Do not mount sub-mounts of the source.
        public var nonRecursive: Bool?
        /// API 1.44: create the host path when it is missing.
        public var createMountpoint: Bool?
        /// API 1.44: make only the top mount read-only.
        public var readOnlyNonRecursive: Bool?
        /// API 1.44: fail unless sub-mounts can be made read-only too.
        public var readOnlyForceRecursive: Bool?

        public init(
            propagation: Propagation? = nil, nonRecursive: Bool? = nil, createMountpoint: Bool? = nil,
            readOnlyNonRecursive: Bool? = nil, readOnlyForceRecursive: Bool? = nil
        ) {
            self.propagation = propagation
            self.nonRecursive = nonRecursive
            self.createMountpoint = createMountpoint
            self.readOnlyNonRecursive = readOnlyNonRecursive
            self.readOnlyForceRecursive = readOnlyForceRecursive
        }

        enum CodingKeys: String, CodingKey {
            case propagation = "Propagation"
            case nonRecursive = "NonRecursive"
            case createMountpoint = "CreateMountpoint"
            case readOnlyNonRecursive = "ReadOnlyNonRecursive"
            case readOnlyForceRecursive = "ReadOnlyForceRecursive"
        }
    }

    /// Options of `volume` mounts.
    public struct VolumeOptions: Codable, Hashable, Sendable {
        /// Do not copy the image's files at the target into a new, empty volume.
        public var noCopy: Bool?
        /// Labels of the volume, if it is created (stack deploy sets `com.docker.stack.namespace`).
        public var labels: [String: String]?
        /// The volume driver and its options, if it is created.
        public var driverConfig: Driver?
        /// API 1.45: mount this path inside the volume instead of its root.
        public var subpath: String?

        public init(
            noCopy: Bool? = nil, labels: [String: String]? = nil, driverConfig: Driver? = nil, subpath: String? = nil
        ) {
            self.noCopy = noCopy
            self.labels = labels
            self.driverConfig = driverConfig
            self.subpath = subpath
        }

        enum CodingKeys: String, CodingKey {
            case noCopy = "NoCopy"
            case labels = "Labels"
            case driverConfig = "DriverConfig"
            case subpath = "Subpath"
        }
    }

    /// Options of `tmpfs` mounts.
    public struct TmpfsOptions: Codable, Hashable, Sendable {
        /// 0 or absent means no limit.
        public var sizeBytes: Int64?
        /// Permission bits of the mount's root, for example 1777 in octal.
        public var mode: UInt32?

        public init(sizeBytes: Int64? = nil, mode: UInt32? = nil) {
            self.sizeBytes = sizeBytes
            self.mode = mode
        }

        enum CodingKeys: String, CodingKey {
            case sizeBytes = "SizeBytes"
            case mode = "Mode"
        }
    }

    /// The path inside the task.
    public var target: String?
    /// The host path (bind) or volume name (volume; anonymous when absent).
    public var source: String?
    public var type: MountType?
    public var readOnly: Bool?
    /// `default`, `consistent`, `cached` or `delegated`; meaningful on Docker Desktop only.
    public var consistency: String?
    public var bindOptions: BindOptions?
    public var volumeOptions: VolumeOptions?
    public var tmpfsOptions: TmpfsOptions?

    public init(
        type: MountType? = nil, source: String? = nil, target: String? = nil, readOnly: Bool? = nil,
        consistency: String? = nil, bindOptions: BindOptions? = nil, volumeOptions: VolumeOptions? = nil,
        tmpfsOptions: TmpfsOptions? = nil
    ) {
        self.type = type
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.consistency = consistency
        self.bindOptions = bindOptions
        self.volumeOptions = volumeOptions
        self.tmpfsOptions = tmpfsOptions
    }

    enum CodingKeys: String, CodingKey {
        case target = "Target"
        case source = "Source"
        case type = "Type"
        case readOnly = "ReadOnly"
        case consistency = "Consistency"
        case bindOptions = "BindOptions"
        case volumeOptions = "VolumeOptions"
        case tmpfsOptions = "TmpfsOptions"
    }
}
