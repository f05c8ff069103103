import StarlingImage
import StarlingModel
import Testing

@testable import StarlingExecutor

/// Docker's rules for what a container runs: service `Command`/`Args` against the image's `Entrypoint`/`Cmd`, the
/// environment merge, the working directory and the user.
@Suite struct OCICommandTests {
    let image = ContainerDefaults(
        user: "nobody", env: ["PATH=/image/bin", "LANG=C.UTF-8", "MODE=image"], entrypoint: ["/entry.sh"],
        cmd: ["serve", "--port", "80"], workingDir: "/srv")

    func resolve(_ spec: ContainerSpec, image: ContainerDefaults?) throws -> ContainerCommand {
        try ContainerCommand.resolve(spec, image: image, hostname: "host")
    }

    @Test func theImageRunsAsBuiltWithoutCommandOrArgs() throws {
        #expect(try resolve(ContainerSpec(), image: image).args == ["/entry.sh", "serve", "--port", "80"])
    }

    @Test func argsReplaceTheImageCmdAndKeepItsEntrypoint() throws {
        #expect(try resolve(ContainerSpec(args: ["check"]), image: image).args == ["/entry.sh", "check"])
    }

    @Test func commandReplacesTheEntrypointAndDropsTheImageCmd() throws {
        #expect(try resolve(ContainerSpec(command: ["/bin/sh"]), image: image).args == ["/bin/sh"])
        #expect(
            try resolve(ContainerSpec(command: ["/bin/sh"], args: ["-c", "true"]), image: image).args
                == ["/bin/sh", "-c", "true"])
    }

    @Test func nothingToRunIsDockersError() throws {
        #expect(throws: StarlingError.invalidArgument("no command specified")) {
            try resolve(ContainerSpec(), image: ContainerDefaults(env: ["A=b"]))
        }
        #expect(throws: StarlingError.invalidArgument("no command specified")) {
            try resolve(ContainerSpec(), image: nil)
        }
        // An empty Command is no Command: the image still decides.
        #expect(try resolve(ContainerSpec(command: []), image: image).args.first == "/entry.sh")
    }

    @Test func theEnvironmentLaysTheTaskOverTheImageOverDockersDefaults() throws {
        let spec = ContainerSpec(env: ["MODE=task", "EXTRA=1"])
        // dockerd: the task's variables, then the image's it does not set, over PATH and HOSTNAME.
        #expect(
            try resolve(spec, image: image).environment
                == ["PATH=/image/bin", "HOSTNAME=host", "MODE=task", "EXTRA=1", "LANG=C.UTF-8"])
    }

    @Test func pathDefaultsWhenNeitherSetsIt() throws {
        var spec = ContainerSpec(command: ["true"], env: ["A=1"])
        spec.tty = true
        #expect(
            try resolve(spec, image: nil).environment
                == ["PATH=" + ContainerCommand.defaultPath, "HOSTNAME=host", "TERM=xterm", "A=1"])
        #expect(
            try ContainerCommand.resolve(ContainerSpec(command: ["true"]), image: nil, hostname: nil).environment
                == ["PATH=" + ContainerCommand.defaultPath])
    }

    @Test func aTaskEntryWithoutValueUnsetsTheVariable() throws {
        let spec = ContainerSpec(env: ["LANG", "PATH=/task/bin"])
        #expect(
            try resolve(spec, image: image).environment
                == ["PATH=/task/bin", "HOSTNAME=host", "MODE=image"])
    }

    @Test func theWorkingDirectoryIsTheTasksElseTheImagesElseRoot() throws {
        #expect(try resolve(ContainerSpec(dir: "/data/./x/../y/"), image: image).workingDirectory == "/data/y")
        #expect(try resolve(ContainerSpec(), image: image).workingDirectory == "/srv")
        #expect(try resolve(ContainerSpec(command: ["true"]), image: nil).workingDirectory == "/")
        #expect(
            throws: StarlingError.invalidArgument(
                "the working directory 'data' is invalid, it needs to be an absolute path")
        ) {
            try resolve(ContainerSpec(dir: "data"), image: image)
        }
    }

    @Test func theUserIsTheTasksElseTheImages() throws {
        #expect(try resolve(ContainerSpec(user: "app:staff"), image: image).user == "app:staff")
        #expect(try resolve(ContainerSpec(), image: image).user == "nobody")
        #expect(try resolve(ContainerSpec(command: ["true"]), image: nil).user == "")
    }
}
