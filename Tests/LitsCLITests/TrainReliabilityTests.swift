import Foundation
import XCTest
import LiTSCore

/// `lits train` and `--resume` under the failures a hostile user or a cluster brings: a second
/// writer, edited arrays, a diverging run, folders of another version, signals, failed starts,
/// and a resume with another `--threads`.
final class TrainReliabilityTests: XCTestCase {
    static let small = ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "2"]

    /// A one-case phantom preprocessed into WORK/pre (small and fast to train on).
    func preprocessed(_ work: String) throws -> String {
        let data = work + "/data"
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        let r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return work + "/pre"
    }

    /// A `lits train` process running in the background (its output read at the end).
    func startTraining(_ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: litsExecutable())
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        addTeardownBlock { if p.isRunning { p.terminate(); p.waitUntilExit() } }
        return (p, err)
    }

    func waitFor(_ path: String, while p: Process, seconds: Double = 120) {
        let deadline = Date().addingTimeInterval(seconds)
        while !FileManager.default.fileExists(atPath: path) && Date() < deadline && p.isRunning { usleep(50_000) }
    }

    /// Sets "epochs" in a run's config.json (a run stopped after epoch 1 of `epochs`).
    func setEpochs(_ run: String, _ epochs: Int) throws {
        let path = run + "/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let edited = text.replacingOccurrences(of: #""epochs" : \d+"#, with: "\"epochs\" : \(epochs)", options: .regularExpression)
        XCTAssertNotEqual(text, edited)
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
    }

    // MARK: 1. --resume takes the run folder's lock

    func testResumeIsRefusedWhileTheRunIsStillTraining() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work), run = work + "/run"
        let (p, err) = try startTraining(["train", pre, "--out", run, "--epochs", "500", "--batches-per-epoch", "2"] + Self.small)
        // Once epoch 1 is committed there is something to resume: only the lock stands in the way.
        waitFor(run + "/state.json", while: p)
        XCTAssertTrue(p.isRunning)
        let r = try runLits(["train", "--resume", run])
        p.terminate()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(r.status, 1, r.stderr)
        let line = errorLines(r).first ?? ""
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        XCTAssertTrue(line.contains("another run is writing into this folder (pid \(p.processIdentifier), `lits train`"), r.stderr)
    }

    // MARK: 2. edited preprocessed arrays

    /// Rewrites one value of a .npy array in place (its data start after the header).
    func poke(_ file: String, offsetFromEnd: Int, bytes: [UInt8]) throws {
        let h = try XCTUnwrap(FileHandle(forUpdatingAtPath: file))
        defer { try? h.close() }
        let end = try h.seekToEnd()
        try h.seek(toOffset: end - UInt64(offsetFromEnd))
        try h.write(contentsOf: bytes)
    }

    func testOutOfRangeLabelsAndCTInPreprocessedArraysAreRefused() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work)
        try FileManager.default.copyItem(atPath: pre, toPath: work + "/badmask")
        try FileManager.default.copyItem(atPath: pre, toPath: work + "/badct")
        // The last voxel (i 31, j 31, k 2 of 32 x 32 x 3).
        try poke(work + "/badmask/mask1.npy", offsetFromEnd: 1, bytes: [9])
        try poke(work + "/badct/vol1.npy", offsetFromEnd: 4, bytes: Array(withUnsafeBytes(of: Float(7).bitPattern.littleEndian) { Array($0) }))
        let shape = try NPY.read(path: pre + "/vol1.npy").shape
        XCTAssertEqual(shape.count, 3)
        let last = "(\(shape[2] - 1), \(shape[1] - 1), \(shape[0] - 1))"
        for (folder, file, what) in [("badmask", "mask1.npy", "label 9"), ("badct", "vol1.npy", "value 7")] {
            let r = try runLits(["train", work + "/" + folder, "--out", work + "/run-" + folder, "--epochs", "1", "--batches-per-epoch", "1"] + Self.small)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
            let line = errorLines(r).first ?? ""
            XCTAssertTrue(line.hasPrefix("lits: error: \(work)/\(folder)/\(file): \(what)"), r.stderr)
            XCTAssertTrue(line.contains("voxel \(last)"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/run-" + folder + "/last.safetensors"))
        }
    }

    // MARK: 3. divergence

    func testADivergingRunStopsAndKeepsNoNonFiniteCheckpoint() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work)
        for lr in ["1e8", "1e38"] {
            let run = work + "/run-" + lr
            let r = try runLits(["train", pre, "--out", run, "--lr", lr, "--epochs", "3", "--batches-per-epoch", "3"] + Self.small)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
            let line = errorLines(r).first ?? ""
            XCTAssertTrue(line.hasPrefix("lits: error: \(run): training diverged at epoch "), r.stderr)
            XCTAssertTrue(line.contains("lower --lr"), r.stderr)
            // Whatever was kept predicts: no checkpoint holds a NaN or infinite value.
            for name in ["best", "last"] where FileManager.default.fileExists(atPath: "\(run)/\(name).safetensors") {
                let p = try runLits(["predict", "--run", run, "--checkpoint", name, work + "/data", "--out", work + "/pred-\(lr)-\(name)"])
                XCTAssertEqual(p.status, 0, "\(lr) \(name): \(p.stderr)")
            }
        }
    }

    /// Diverging after a finished epoch: that epoch's set stays committed, last and best stay
    /// finite and predict, and the folder stays (it is not a failed start).
    func testDivergingAfterAnEpochKeepsThatEpoch() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work), run = work + "/run"
        // poly: the rate comes from config.json each epoch, so an edited one takes effect on resume.
        var r = try runLits(["train", pre, "--out", run, "--lr-schedule", "poly", "--epochs", "1", "--batches-per-epoch", "2"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let last = try Data(contentsOf: URL(fileURLWithPath: run + "/last.safetensors"))
        try setEpochs(run, 3)
        let path = run + "/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: #""learningRate" : [0-9.e-]+"#, with: "\"learningRate\" : 1e+38", options: .regularExpression)
            .write(toFile: path, atomically: true, encoding: .utf8)
        r = try runLits(["train", "--resume", run])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        let line = errorLines(r).first ?? ""
        XCTAssertTrue(line.hasPrefix("lits: error: \(run): training diverged at epoch 2 batch "), r.stderr)
        XCTAssertTrue(line.hasSuffix("; the last finite checkpoint (epoch 1) is kept; lower --lr"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/last.safetensors")), last)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/checkpoints/epoch-0002.safetensors"))
        for name in ["best", "last"] {
            let p = try runLits(["predict", "--run", run, "--checkpoint", name, work + "/data", "--out", work + "/pred-" + name])
            XCTAssertEqual(p.status, 0, "\(name): \(p.stderr)")
        }
    }

    // MARK: 4. checkpoints and runs of another version

    func testOtherFormatsAndFoldersWithoutMarkerAreRefusedANewerVersionIsWarned() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work), run = work + "/run"
        var r = try runLits(["train", pre, "--out", run, "--epochs", "1", "--batches-per-epoch", "1"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let fm = FileManager.default

        // A checkpoint format this version does not read: predict and --resume refuse it.
        try fm.copyItem(atPath: run, toPath: work + "/format7")
        let json = work + "/format7/best.json"
        let committed = try String(contentsOfFile: work + "/format7/checkpoints/epoch-0001.json", encoding: .utf8)
        for file in [json, work + "/format7/last.json", work + "/format7/checkpoints/epoch-0001.json"] {
            try? fm.removeItem(atPath: file)
            try committed.replacingOccurrences(of: "UNet3D checkpoint 1", with: "UNet3D checkpoint 7").write(toFile: file, atomically: true, encoding: .utf8)
        }
        r = try runLits(["predict", "--run", work + "/format7", "--checkpoint", "best", work + "/data", "--out", work + "/p1"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(json): checkpoint format \"LiTSKit UNet3D checkpoint 7\" is not one this version reads (\"LiTSKit UNet3D checkpoint 1\")"], r.stderr)
        try setEpochs(work + "/format7", 2)
        r = try runLits(["train", "--resume", work + "/format7"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/format7/checkpoints/epoch-0001.json: checkpoint format \"LiTSKit UNet3D checkpoint 7\" is not one this version reads (\"LiTSKit UNet3D checkpoint 1\")"], r.stderr)

        // No marker: not a folder this LiTSKit wrote.
        try fm.copyItem(atPath: run, toPath: work + "/nomarker")
        try fm.removeItem(atPath: work + "/nomarker/.litskit.json")
        try setEpochs(work + "/nomarker", 2)
        for args in [["predict", "--run", work + "/nomarker", work + "/data", "--out", work + "/p2"], ["train", "--resume", work + "/nomarker"]] {
            r = try runLits(args)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
            XCTAssertTrue(errorLines(r).first?.hasPrefix("lits: error: \(work)/nomarker: no .litskit.json") ?? false, r.stderr)
        }
        XCTAssertFalse(fm.fileExists(atPath: work + "/nomarker/checkpoints/epoch-0002.safetensors"))

        // A newer version's run: it works, with one warning line.
        try fm.copyItem(atPath: run, toPath: work + "/newer")
        let marker = work + "/newer/.litskit.json"
        let text = try String(contentsOfFile: marker, encoding: .utf8)
        try text.replacingOccurrences(of: "\"\(LiTSKitVersion.current)\"", with: "\"99.0.0\"").write(toFile: marker, atomically: true, encoding: .utf8)
        try setEpochs(work + "/newer", 2)
        for args in [["predict", "--run", work + "/newer", work + "/data", "--out", work + "/p3"], ["train", "--resume", work + "/newer"]] {
            r = try runLits(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            let warnings = r.stderr.split(separator: "\n").filter { $0.hasPrefix("lits: warning: \(work)/newer: written by LiTSKit 99.0.0") }
            XCTAssertEqual(warnings.count, 1, r.stderr)
        }
    }

    func testWhichMarkerVersionsAreNewer() {
        XCTAssertEqual(LiTSKitVersion.current, "0.5.0", "update the cases below with the version")
        for v in ["0.4.9", "0.5.0", "0.5", "0.1.12"] { XCTAssertFalse(LiTSKitVersion.isNewer(v), v) }
        for v in ["0.5.1", "0.10.0", "1.0", "99.0.0", "0.5.0-beta", ""] { XCTAssertTrue(LiTSKitVersion.isNewer(v), v) }
    }

    // MARK: 5. signals end with 128 + the signal

    func testSignalsEndTrainingWith128PlusTheSignal() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work)
        for (sig, status) in [(SIGTERM, Int32(143)), (SIGINT, 130), (SIGHUP, 129)] {
            let run = work + "/run-\(sig)"
            let (p, err) = try startTraining(["train", pre, "--out", run, "--epochs", "3", "--batches-per-epoch", "400"] + Self.small)
            waitFor(run + "/config.json", while: p)
            usleep(1_500_000)  // past the start, into the batches (signals are caught by then)
            kill(p.processIdentifier, sig)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, status, "signal \(sig): \(stderr)")
            if sig != SIGHUP { XCTAssertTrue(stderr.contains("interrupted: saved"), stderr) }
        }
    }

    // MARK: 6. a failed start leaves no folder behind

    func testAFailedStartRemovesTheFolderItCreated() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work)
        let empty = work + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let cases: [[String]] = [
            [empty, "--out", work + "/r1"],                                                  // no cases
            [pre, "--out", work + "/r2", "--patch", "4096,4096,4096"],                       // cannot fit in memory
            [pre, "--out", work + "/r3", "--split", work + "/missing.json"],                 // no split file
            [pre, "--out", work + "/r4", "--lr", "1e38", "--epochs", "1"] + Self.small,     // diverges in its first epoch
        ]
        for args in cases {
            let r = try runLits(["train"] + args)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: args[2]), "\(args[2]) left behind: \(r.stderr)")
        }
        // A folder the user made is left in place (with our marker and lock only).
        let mine = work + "/mine"
        try FileManager.default.createDirectory(atPath: mine, withIntermediateDirectories: true)
        XCTAssertEqual(try runLits(["train", pre, "--out", mine, "--patch", "4096,4096,4096"]).status, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine))
    }

    // MARK: 7. --resume with another --threads is still bit for bit

    func testResumeWithOtherThreadsIsBitForBit() throws {
        let work = try makeTempDir(self), pre = try preprocessed(work)
        let args = ["--epochs", "2", "--batches-per-epoch", "3", "--threads", "1"] + Self.small
        var r = try runLits(["train", pre, "--out", work + "/straight"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", pre, "--out", work + "/resumed", "--epochs", "1", "--batches-per-epoch", "3", "--threads", "1"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        try setEpochs(work + "/resumed", 2)
        r = try runLits(["train", "--resume", work + "/resumed", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("lits: note: "), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/resumed/last.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: work + "/straight/last.safetensors")),
                       "resumed with --threads 2 after 1 epoch with --threads 1: the same weights")
    }
}
