import Foundation
import XCTest
@testable import LiTSCore
import LiTSInference
@testable import LiTSNet
@testable import LiTSTraining

/// A run folder's checkpoint set changes as one unit: a save that fails (disk full, kill) between
/// any two of its writes leaves a folder that resumes bit for bit, and every checkpoint file is
/// checked against its SHA-256 when it is loaded.
final class CheckpointSetTests: XCTestCase {
    struct Injected: Error {}

    /// Everything a resume restores, bit for bit (as SHA-256s of the bit patterns, so that a
    /// failure message says which part differs in a line).
    struct Snapshot: Equatable, CustomStringConvertible {
        var weights: String
        var optimizer: String
        var state: String
        var epochs: Int

        static func digest(_ named: [(String, Tensor)]) -> String {
            var bytes = Data()
            for (name, tensor) in named.sorted(by: { $0.0 < $1.0 }) {
                bytes.append(contentsOf: Array(name.utf8))
                tensor.data.map(\.bitPattern).withUnsafeBytes { bytes.append(contentsOf: $0) }
            }
            return String(SHA256.hex(bytes).prefix(16))
        }

        init(_ t: Trainer) throws {
            let digest = Snapshot.digest
            weights = digest(t.model.stateDict())
            optimizer = digest(t.optimizer.stateDict().map { ($0.key, $0.value) })
            // The history's wall-clock seconds are the one thing a resumed run may not repeat.
            var resume = t.resumeState
            for i in resume.history.indices { resume.history[i].seconds = 0 }
            state = String(SHA256.hex(try RunFolder.encoder().encode(resume)).prefix(16))
            epochs = t.history.count
        }

        var description: String { "epochs \(epochs), weights \(weights), optimizer \(optimizer), state \(state)" }
    }

    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "litskit-ckptset-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func copy(_ from: String, to: String) throws {
        try FileManager.default.copyItem(atPath: from, toPath: to)
    }

    func files(_ dir: String) throws -> [String] {
        let fm = FileManager.default
        return try fm.subpathsOfDirectory(atPath: dir).filter { p in
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: "\(dir)/\(p)", isDirectory: &isDir) && !isDir.boolValue
        }.sorted()
    }

    func train(_ t: Trainer, saving run: RunFolder) throws {
        _ = try t.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, best in try run.commitCheckpointSet(t, isBest: best) })
    }

    func testAFailureBetweenAnyTwoWritesResumesBitForBit() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        let work = try tempDir()
        let straight = Trainer(options: TrainerTests.options(epochs: 3, ids: data.ids), data: data)
        _ = try straight.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })

        // Epoch 1 saved whole (and best); then epoch 2's save, failing before each of its steps in turn.
        var after1: Snapshot?, after2: Snapshot?
        var steps: [Bool: [String]] = [:]
        var outcomes: [(step: Int, isBest: Bool, folder: String)] = []
        let t = Trainer(options: TrainerTests.options(epochs: 2, ids: data.ids), data: data)
        _ = try t.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { record, _ in
            if record.epoch == 1 {
                try RunFolder(work + "/epoch1").commitCheckpointSet(t, isBest: true)
                after1 = try Snapshot(t)
                return
            }
            after2 = try Snapshot(t)
            for isBest in [false, true] {
                // The steps of this save, in order.
                try self.copy(work + "/epoch1", to: work + "/probe-\(isBest)")
                var probe = RunFolder(work + "/probe-\(isBest)")
                nonisolated(unsafe) var seen: [String] = []
                probe.failPoint = { seen.append($0) }
                try probe.commitCheckpointSet(t, isBest: isBest)
                steps[isBest] = seen
                for (n, step) in seen.enumerated() {
                    let dir = work + "/fail-\(isBest)-\(n)"
                    try self.copy(work + "/epoch1", to: dir)
                    var run = RunFolder(dir)
                    run.failPoint = { if $0 == step { throw Injected() } }
                    XCTAssertThrowsError(try run.commitCheckpointSet(t, isBest: isBest)) { XCTAssertTrue($0 is Injected, "\($0)") }
                    outcomes.append((n, isBest, dir))
                }
            }
        })
        let expected = ["create checkpoints", "checkpoints/epoch-0002.safetensors", "checkpoints/epoch-0002.optimizer.safetensors", "state.json",
                        "last.safetensors", "last.json", "best.safetensors", "best.json", "history.csv", "remove checkpoints/epoch-0001.optimizer.safetensors"]
        XCTAssertEqual(steps[false], expected)
        XCTAssertEqual(steps[true], expected.prefix(9) + ["remove checkpoints/epoch-0001.json", "remove checkpoints/epoch-0001.optimizer.safetensors",
                                                          "remove checkpoints/epoch-0001.safetensors"])
        let commit = expected.firstIndex(of: "state.json")!

        for (n, isBest, dir) in outcomes {
            let step = steps[isBest]![n]
            let committed = n > commit
            let resumed = Trainer(options: TrainerTests.options(epochs: 3, ids: data.ids), data: data)
            let run = RunFolder(dir)
            try run.restore(into: resumed)
            XCTAssertEqual(try Snapshot(resumed), committed ? after2 : after1, "failure before \(step) (best: \(isBest))")
            // What users and `lits predict` load is the committed set's, and passes its checksum.
            let last = try Checkpoint.load(run.last)
            XCTAssertEqual(Snapshot.digest(last.stateDict()), Snapshot.digest(resumed.model.stateDict()), "last after a failure before \(step)")
            let bestEpoch = committed && isBest ? "2" : "1"
            XCTAssertEqual(try Checkpoint.info(run.best).extra["epoch"], bestEpoch, "best after a failure before \(step)")
            XCTAssertNoThrow(try Checkpoint.load(run.best))
        }

        // Resumed from a failure just before the commit (every file of the new set written, and
        // ignored) and just after it, training continues exactly as the uninterrupted run.
        for n in [commit, commit + 1] {
            let dir = outcomes.first { $0.step == n && !$0.isBest }!.folder, step = expected[n]
            let resumed = Trainer(options: TrainerTests.options(epochs: 3, ids: data.ids), data: data)
            let run = RunFolder(dir)
            try run.restore(into: resumed)
            try train(resumed, saving: run)
            XCTAssertEqual(try Snapshot(resumed), try Snapshot(straight), "resumed after a failure before \(step)")
            // Then the folder holds exactly one set: the stale files of the failed save are gone.
            let best = try XCTUnwrap(try run.committedState()?.bestEpoch)
            var expected = ["checkpoints/epoch-0003.json", "checkpoints/epoch-0003.optimizer.safetensors", "checkpoints/epoch-0003.safetensors"]
            if best != 3 { expected += ["checkpoints/epoch-000\(best).json", "checkpoints/epoch-000\(best).safetensors"] }
            XCTAssertEqual(try files(dir).filter { $0.hasPrefix("checkpoints/") || $0.hasPrefix(".") }, expected.sorted(),
                           "after a failure before \(step)")
        }
    }

    static func flipByte(in path: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x10   // in the last tensor's data: the file still parses
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func testLayoutChecksumsAndInterruptedFile() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        let dir = try tempDir()
        let run = RunFolder(dir)
        let t = Trainer(options: TrainerTests.options(epochs: 1, ids: data.ids), data: data)
        try train(t, saving: run)
        try run.saveInterrupted(t)
        XCTAssertEqual(try files(dir), ["best.json", "best.safetensors", "checkpoints/epoch-0001.json", "checkpoints/epoch-0001.optimizer.safetensors",
                                        "checkpoints/epoch-0001.safetensors", "history.csv", "interrupted.json", "interrupted.safetensors",
                                        "last.json", "last.safetensors", "state.json"])
        let state = try XCTUnwrap(try run.committedState())
        XCTAssertEqual(state.epoch, 1)
        XCTAssertEqual(state.bestEpoch, 1)
        for f in [state.last, state.optimizer, state.best!] {
            XCTAssertEqual(f.sha256, SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(f.file)"))), f.file)
        }
        XCTAssertEqual(try Checkpoint.info(run.last).sha256, state.last.sha256)

        // A resumed run that finishes an epoch has continued past the interrupted state: gone.
        let resumed = Trainer(options: TrainerTests.options(epochs: 2, ids: data.ids), data: data)
        try run.restore(into: resumed)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/interrupted.safetensors"), "kept until an epoch is finished")
        try train(resumed, saving: run)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/interrupted.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/interrupted.json"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/checkpoints/epoch-0001.optimizer.safetensors"))
    }

    func testResumeRefusesAChangedByteInAnyFileOfTheSet() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        let dir = try tempDir()
        let t = Trainer(options: TrainerTests.options(epochs: 1, ids: data.ids), data: data)
        try train(t, saving: RunFolder(dir))
        for file in ["checkpoints/epoch-0001.safetensors", "checkpoints/epoch-0001.optimizer.safetensors"] {
            let damaged = try tempDir() + "/run"
            try copy(dir, to: damaged)
            try CheckpointSetTests.flipByte(in: "\(damaged)/\(file)")
            let resumed = Trainer(options: TrainerTests.options(epochs: 2, ids: data.ids), data: data)
            XCTAssertThrowsError(try RunFolder(damaged).restore(into: resumed)) { error in
                XCTAssertEqual("\(error)", "\(damaged)/\(file): checksum mismatch: the file was changed or damaged after it was written")
                XCTAssertEqual((error as? LiTSError)?.kind, .corrupt)
            }
        }
    }

    /// A run folder written before checkpoint sets (state.json without a format, last.safetensors
    /// and last.optimizer.safetensors, no checksums) still resumes; its next save converts it.
    func testARunFolderFromBeforeCheckpointSetsResumes() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        let dir = try tempDir()
        let straight = Trainer(options: TrainerTests.options(epochs: 2, ids: data.ids), data: data)
        _ = try straight.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })
        let first = Trainer(options: TrainerTests.options(epochs: 1, ids: data.ids), data: data)
        _ = try first.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })
        let run = RunFolder(dir)
        try first.model.writeSafetensors(to: run.last)
        try first.model.writeSafetensors(to: run.best)
        try Safetensors.write(first.optimizer.stateDict(), to: dir + "/last.optimizer.safetensors")
        try AtomicFile.write(try RunFolder.encoder().encode(first.resumeState), to: run.statePath)

        let resumed = Trainer(options: TrainerTests.options(epochs: 2, ids: data.ids), data: data)
        try run.restore(into: resumed)
        try train(resumed, saving: run)
        XCTAssertEqual(try Snapshot(resumed), try Snapshot(straight))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/last.optimizer.safetensors"))
        XCTAssertEqual(try run.committedState()?.format, RunState.currentFormat)
    }
}
