import Foundation
import StarlingModel
import Testing

@testable import StarlingImage

@Suite("Content store: blobs, records, removal and pruning")
struct ImageStoreTests {
    /// Stores an image made of the given layer contents directly (no registry) and names it.
    static func addImage(
        _ store: ImageStore, layers: [[UInt8]], names: [String], author: String = "test"
    ) async throws -> ImageRecord {
        var descriptors: [Descriptor] = []
        for layer in layers { descriptors.append(try await store.writeBlob(layer, mediaType: MediaType.ociLayer)) }
        var configObject = try ImageConfig.decode(try TestImages.config(diffIDs: layers.map { .sha256(of: $0) }))
        configObject.author = author
        let config = try await store.writeBlob(try TestImages.encode(configObject), mediaType: MediaType.ociConfig)
        let manifestBytes = try TestImages.encode(ImageManifest(config: config, layers: descriptors))
        let manifest = try await store.writeBlob(manifestBytes, mediaType: MediaType.ociManifest)
        let record = ImageRecord(
            target: manifest, manifest: manifest, config: config, layers: descriptors,
            diffIDs: layers.map { .sha256(of: $0) }, platform: .host(), created: "2024-01-01T00:00:00Z")
        try await store.add(record, names: try names.map { try ImageName.parseDockerReference($0) })
        return record
    }

    static func layer(_ text: String) -> [UInt8] {
        var tar = TarWriter()
        tar.file("file-" + text, Array(text.utf8))
        return tar.finished()
    }

    @Test func verifiesBlobsBeforeTheyAppear() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path)
        let bytes = Array("hello blob".utf8)
        let good = Descriptor(mediaType: "x", digest: .sha256(of: bytes), size: Int64(bytes.count))
        #expect(try await store.ingest(good) { try $0.write(bytes) } == .fetched)
        #expect(try store.readBlob(good.digest) == bytes)
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/blobs/sha256/" + good.digest.encoded))
        #expect(try await store.ingest(good) { _ in Issue.record("fetched twice") } == .present)

        let lying = Descriptor(mediaType: "x", digest: .sha256(of: Array("other".utf8)), size: Int64(bytes.count))
        await #expect(throws: StarlingError.self) { try await store.ingest(lying) { try $0.write(bytes) } }
        #expect(!store.hasBlob(lying.digest))
        let short = Descriptor(mediaType: "x", digest: .sha256(of: bytes), size: 100)
        let otherStore = try ImageStore(root: scratch.path + "/second")
        await #expect(throws: StarlingError.self) { try await otherStore.ingest(short) { try $0.write(bytes) } }
        // More bytes than the descriptor says is refused while writing.
        let tooLong = Descriptor(mediaType: "x", digest: .sha256(of: bytes), size: 3)
        await #expect(throws: StarlingError.self) { try await otherStore.ingest(tooLong) { try $0.write(bytes) } }
    }

    @Test func concurrentIngestsShareOneFetch() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path)
        let bytes = [UInt8](repeating: 42, count: 100_000)
        let descriptor = Descriptor(mediaType: "x", digest: .sha256(of: bytes), size: Int64(bytes.count))
        let fetches = Shared(0)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let outcomes = try await withThrowingTaskGroup(of: ImageStore.IngestOutcome.self) { group in
            group.addTask {
                try await store.ingest(descriptor) { writer in
                    fetches.update { $0 += 1 }
                    startedContinuation.yield()
                    for await _ in release { break }
                    try writer.write(bytes)
                }
            }
            // The second caller arrives while the first download is running.
            for await _ in started { break }
            group.addTask {
                try await store.ingest(descriptor) { writer in
                    fetches.update { $0 += 1 }
                    try writer.write(bytes)
                }
            }
            // Let the second caller start waiting before the download finishes.
            while await store.waiterCount(descriptor.digest) == 0 { await Task.yield() }
            releaseContinuation.yield()
            var outcomes: [ImageStore.IngestOutcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(fetches.value == 1)
        #expect(Set(outcomes) == [.fetched, .shared])
    }

    @Test func continuesAPartialDownload() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path)
        let bytes = (0..<50_000).map { UInt8($0 % 251) }
        let descriptor = Descriptor(mediaType: "x", digest: .sha256(of: bytes), size: Int64(bytes.count))
        // An earlier attempt broke after 20,000 bytes.
        await #expect(throws: CancellationError.self) {
            try await store.ingest(descriptor) { writer in
                try writer.write(bytes[..<20_000])
                throw CancellationError()
            }
        }
        #expect(!store.hasBlob(descriptor.digest))
        let offset = Shared<Int64>(-1)
        try await store.ingest(descriptor) { writer in
            offset.update { $0 = writer.offset }
            try writer.write(bytes[Int(writer.offset)...])
        }
        #expect(offset.value == 20_000)
        #expect(try store.readBlob(descriptor.digest) == bytes)
    }

    @Test func findsImagesByNameIDAndDigest() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path)
        let record = try await Self.addImage(
            store, layers: [Self.layer("a")], names: ["busybox", "localhost:5000/x:1"])
        #expect(try await store.image("busybox").id == record.id)
        #expect(try await store.image("busybox:latest").id == record.id)
        #expect(try await store.image("docker.io/library/busybox").id == record.id)
        #expect(try await store.image(record.id.description).id == record.id)
        #expect(try await store.image(record.id.encoded).id == record.id)
        #expect(try await store.image(String(record.id.encoded.prefix(12))).id == record.id)
        #expect(try await store.image("sha256:" + record.id.encoded.prefix(8)).id == record.id)
        #expect(try await store.image("localhost:5000/x@\(record.manifest.digest)").id == record.id)
        await #expect(throws: StarlingError.notFound("No such image: busybox:1.0")) {
            try await store.image("busybox:1.0")
        }
        await #expect(throws: StarlingError.notFound("No such image: nothing:latest")) {
            try await store.image("nothing")
        }
        await #expect(throws: StarlingError.notFound("No such image: Upper")) { try await store.image("Upper") }
        let summaries = await store.images()
        #expect(summaries.count == 1)
        #expect(summaries[0].repoTags == ["busybox:latest", "localhost:5000/x:1"])
        #expect(summaries[0].labels["org.example.test"] == "yes")
        #expect(try store.config(of: record).config?.cmd == ["sh"])

        // Records and names survive a restart.
        let reopened = try ImageStore(root: scratch.path)
        #expect(try await reopened.image("localhost:5000/x:1") == record)
    }

    @Test func removingKeepsSharedLayers() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path)
        let shared = Self.layer("shared")
        let own = Self.layer("own")
        let first = try await Self.addImage(store, layers: [shared], names: ["first:1", "first:2"], author: "one")
        let second = try await Self.addImage(store, layers: [shared, own], names: ["second"], author: "two")
        #expect(first.id != second.id)

        // Untagging one of two tags keeps the image.
        #expect(try await store.remove("first:1") == [.untagged("first:1")])
        #expect(try await store.image("first:2").id == first.id)
        // The last tag deletes the image; the shared layer stays for the other image.
        #expect(try await store.remove("first:2") == [.untagged("first:2"), .deleted(first.id)])
        #expect(!store.hasBlob(first.config.digest))
        #expect(store.hasBlob(first.layers[0].digest))
        #expect(try store.readBlob(second.layers[0].digest) == shared)
        await #expect(throws: StarlingError.notFound("No such image: first:2")) { try await store.remove("first:2") }

        // An image in use is refused unless forced.
        await #expect(throws: StarlingError.self) { try await store.remove("second", inUse: [second.id]) }
        #expect(
            try await store.remove(second.id.description, force: true) == [
                .untagged("second:latest"), .deleted(second.id),
            ])
        #expect(!store.hasBlob(second.layers[0].digest))
        #expect(await store.images().isEmpty)
    }

    @Test func removingByIDWithSeveralRepositoriesNeedsForce() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path)
        let record = try await Self.addImage(store, layers: [Self.layer("x")], names: ["one", "two"])
        let short = String(record.id.encoded.prefix(12))
        await #expect(
            throws: StarlingError.conflict(
                "conflict: unable to delete \(short) (must be forced) - image is referenced in multiple repositories")
        ) { try await store.remove(short) }
        let items = try await store.remove(short, force: true)
        #expect(items == [.untagged("one:latest"), .untagged("two:latest"), .deleted(record.id)])
    }

    @Test func pruneRemovesDanglingImagesAndOrphans() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path)
        let dangling = try await Self.addImage(store, layers: [Self.layer("old")], names: [], author: "old")
        let kept = try await Self.addImage(store, layers: [Self.layer("new")], names: ["kept"], author: "new")
        // An orphan blob (an interrupted pull) and a leftover partial download.
        let orphan = try await store.writeBlob(Array("orphan".utf8), mediaType: "x")
        try Data("partial".utf8).write(
            to: URL(fileURLWithPath: scratch.path + "/ingest/" + String(repeating: "c", count: 64) + ".partial"))
        // A leased blob (a pull that has not recorded its image yet) stays.
        let leased = try await store.writeBlob(Array("leased".utf8), mediaType: "x")
        let lease = await store.lease([leased.digest])

        let report = try await store.prune()
        #expect(report.deleted == [.deleted(dangling.id)])
        #expect(report.spaceReclaimed > 0)
        #expect(!store.hasBlob(orphan.digest) && !store.hasBlob(dangling.config.digest))
        #expect(store.hasBlob(leased.digest) && store.hasBlob(kept.config.digest))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/ingest").isEmpty)
        await store.release(lease)

        let all = try await store.prune(all: true, inUse: [kept.id])
        #expect(all.deleted.isEmpty)
        #expect(!store.hasBlob(leased.digest))
        let everything = try await store.prune(all: true)
        #expect(everything.deleted == [.untagged("kept:latest"), .deleted(kept.id)])
    }

    @Test(.enabled(if: Scratch.isRoot, "unpacking whiteouts needs root"))
    func unpacksEachLayerOnceForAllImages() async throws {
        let scratch = try Scratch()
        let store = try ImageStore(root: scratch.path)
        let base = Self.layer("base")
        let first = try await Self.addImage(store, layers: [base], names: ["a"], author: "a")
        let second = try await Self.addImage(
            store, layers: [base, TestImages.changeLayer()], names: ["b"], author: "b")
        async let one = store.layerDirectories(for: first)
        async let two = store.layerDirectories(for: second)
        let (firstPaths, secondPaths) = try await (one, two)
        #expect(firstPaths == [store.layerPath(.sha256(of: base))])
        #expect(secondPaths.first == firstPaths.first)
        #expect(FileManager.default.fileExists(atPath: firstPaths[0] + "/file-base"))
        #expect(FileManager.default.fileExists(atPath: secondPaths[1] + "/etc/motd"))
        // Removing the second image drops its own layer directory and keeps the shared one.
        _ = try await store.remove("b")
        #expect(!FileManager.default.fileExists(atPath: secondPaths[1]))
        #expect(FileManager.default.fileExists(atPath: firstPaths[0]))
    }
}
