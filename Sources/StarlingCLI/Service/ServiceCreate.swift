import ArgumentParser
import Foundation
import StarlingClient
import StarlingModel

/// `starling service create`: the flags of `docker service create` that Starling acts on, the same spec on the
/// wire, the ID printed, then (unless `-d`) the progress bars until the service converges.
struct ServiceCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a new service",
        discussion: """
            With --runtime process the tasks run COMMAND as a process on the node (IMAGE may be "-"). The docker \
            CLI asks for the same with --label io.starling.runtime=process.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var convergence: ConvergenceOptions

    @Option(help: ArgumentHelp("Service name", valueName: "string")) var name: String?
    @Option(
        help: ArgumentHelp(
            "Service mode (\"replicated\", \"global\", \"replicated-job\", \"global-job\")", valueName: "string"))
    var mode = "replicated"
    @Option(help: ArgumentHelp("Number of tasks", valueName: "uint")) var replicas: String?
    @Option(
        help: ArgumentHelp("Number of job tasks to run concurrently (default equal to --replicas)", valueName: "uint"))
    var maxConcurrent: String?
    @Option(help: ArgumentHelp("Placement constraints", valueName: "list")) var constraint: [String] = []
    @Option(help: ArgumentHelp("Add a placement preference", valueName: "pref")) var placementPref: [String] = []
    @Option(help: ArgumentHelp("Maximum number of tasks per node (default 0 = unlimited)", valueName: "uint"))
    var replicasMaxPerNode: String?
    @Option(help: ArgumentHelp("Reserve CPUs", valueName: "decimal")) var reserveCpu: String?
    @Option(help: ArgumentHelp("Reserve Memory", valueName: "bytes")) var reserveMemory: String?
    @Option(help: ArgumentHelp("Limit CPUs", valueName: "decimal")) var limitCpu: String?
    @Option(help: ArgumentHelp("Limit Memory", valueName: "bytes")) var limitMemory: String?
    @Option(help: ArgumentHelp("Limit maximum number of processes (default 0 = unlimited)", valueName: "int"))
    var limitPids: String?
    @Option(help: ArgumentHelp("User defined resources", valueName: "list")) var genericResource: [String] = []
    @Option(
        help: ArgumentHelp(
            "Restart when condition is met (\"none\", \"on-failure\", \"any\") (default \"any\")", valueName: "string"))
    var restartCondition: String?
    @Option(help: ArgumentHelp("Delay between restart attempts (ns|us|ms|s|m|h) (default 5s)", valueName: "duration"))
    var restartDelay: String?
    @Option(help: ArgumentHelp("Maximum number of restarts before giving up", valueName: "uint"))
    var restartMaxAttempts: String?
    @Option(help: ArgumentHelp("Window used to evaluate the restart policy (ns|us|ms|s|m|h)", valueName: "duration"))
    var restartWindow: String?
    @Option(help: ArgumentHelp("Command to run to check health", valueName: "string")) var healthCmd: String?
    @Option(help: ArgumentHelp("Time between running the check (ms|s|m|h)", valueName: "duration"))
    var healthInterval: String?
    @Option(help: ArgumentHelp("Maximum time to allow one check to run (ms|s|m|h)", valueName: "duration"))
    var healthTimeout: String?
    @Option(help: ArgumentHelp("Consecutive failures needed to report unhealthy", valueName: "int"))
    var healthRetries: String?
    @Option(
        help: ArgumentHelp(
            "Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)",
            valueName: "duration"))
    var healthStartPeriod: String?
    @Flag(help: "Disable any container-specified HEALTHCHECK") var noHealthcheck = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Set environment variables", valueName: "list"))
    var env: [String] = []
    @Option(
        name: [.customShort("w"), .long],
        help: ArgumentHelp("Working directory inside the container", valueName: "string"))
    var workdir: String?
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Username or UID (format: <name|uid>[:<group|gid>])", valueName: "string"))
    var user: String?
    @Option(help: ArgumentHelp("Signal to stop the container", valueName: "string")) var stopSignal: String?
    @Option(
        help: ArgumentHelp(
            "Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s)", valueName: "duration"))
    var stopGracePeriod: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Service labels", valueName: "list")) var label: [String] = []
    @Option(help: ArgumentHelp("Container labels", valueName: "list")) var containerLabel: [String] = []
    @Option(help: ArgumentHelp("Task runtime: \"container\" (default) or \"process\"", valueName: "string"))
    var runtime: String?
    @Flag(help: "Do not query the registry to resolve image digest and supported platforms")
    var noResolveImage = false

    @Argument(help: ArgumentHelp("The image, or \"-\" for process tasks.", valueName: "IMAGE"))
    var image: String

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("The command and its arguments.", valueName: "COMMAND] [ARG..."))
    var command: [String] = []

    /// The flags as `ServiceCreateOptions`, which builds the spec.
    var options: ServiceCreateOptions {
        var options = ServiceCreateOptions(image: image, args: command)
        options.name = name ?? ""
        options.mode = mode
        options.replicas = replicas
        options.maxConcurrent = maxConcurrent
        options.constraints = constraint
        options.placementPreferences = placementPref
        options.maxReplicasPerNode = replicasMaxPerNode
        options.reserveCPU = reserveCpu
        options.reserveMemory = reserveMemory
        options.limitCPU = limitCpu
        options.limitMemory = limitMemory
        options.limitPids = limitPids
        options.genericResources = genericResource
        options.restartCondition = restartCondition
        options.restartDelay = restartDelay
        options.restartMaxAttempts = restartMaxAttempts
        options.restartWindow = restartWindow
        options.healthCmd = healthCmd
        options.healthInterval = healthInterval
        options.healthTimeout = healthTimeout
        options.healthRetries = healthRetries
        options.healthStartPeriod = healthStartPeriod
        options.noHealthcheck = noHealthcheck
        options.env = env
        options.workdir = workdir
        options.user = user
        options.stopSignal = stopSignal
        options.stopGracePeriod = stopGracePeriod
        options.labels = label
        options.containerLabels = containerLabel
        options.runtime = runtime
        options.environment = ProcessInfo.processInfo.environment
        return options
    }

    func validate() throws {
        do {
            _ = try options.spec()
        } catch let error as StarlingError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        var spec = try options.spec()
        try await global.withClient { client in
            var warnings: [String] = []
            if !noResolveImage, spec.taskRuntime == .container, let image = spec.taskTemplate.containerSpec?.image {
                if let warning = await Self.resolve(image, in: &spec, client: client) { warnings.append(warning) }
            }
            let answer = try await client.createService(spec)
            for warning in (answer.warnings ?? []) + warnings { Output.error(warning) }
            Output.write(answer.id + "\n")
            guard !convergence.detach else { return }
            try await ServiceWait.wait(client: client, serviceID: answer.id, quiet: convergence.quiet)
        }
    }

    /// What the docker client does before creating a service: asks the daemon for the image's digest in its registry
    /// and pins the image to it, with the image's platforms as placement; returns the warning when that fails.
    static func resolve(_ image: String, in spec: inout ServiceSpec, client: EngineClient) async -> String? {
        guard let found = try? await client.distributionInspect(image) else {
            return ImageReference.digestWarning(image)
        }
        spec.taskTemplate.containerSpec?.image = ImageReference.pinned(image, digest: found.digest)
        let platforms = found.platforms.map { platform in
            // As the docker client: `arm` images would not match nodes that report `armv7l`.
            Platform(
                architecture: platform.architecture?.lowercased() == "arm" ? "" : platform.architecture, os: platform.os
            )
        }
        if !platforms.isEmpty {
            var placement = spec.taskTemplate.placement ?? Placement()
            placement.platforms = platforms
            spec.taskTemplate.placement = placement
        }
        return nil
    }
}
