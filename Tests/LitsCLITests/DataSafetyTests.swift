import Foundation
import XCTest
import LiTSCore

/// Issue 13's data-loss cases, each as a user would hit it, on real files.
final class DataSafetyTests: XCTestCase {
    /// A folder holding a file of the user's named index.md is not an earlier report.
    func testAForeignReportFolderIsNeverOverwritten() throws {
        let data = try makeTempDir(self), thesis = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        try Data("# My thesis\n".utf8).write(to: URL(fileURLWithPath: thesis + "/index.md"))
        for args in [["eda", data, "--out", thesis], ["preview", data, "--out", thesis], ["preprocess", data, "--out", thesis]] {
            let r = try runLits(args)
            XCTAssertEqual(r.status, 1, "\(args)")
            XCTAssertTrue(errorLines(r).first?.contains("was not written by LiTSKit") ?? false, r.stderr)
        }
        XCTAssertEqual(try String(contentsOfFile: thesis + "/index.md", encoding: .utf8), "# My thesis\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: thesis), ["index.md"])
        // One command's folder is not another's.
        let eda = try makeTempDir(self) + "/eda"
        XCTAssertEqual(try runLits(["eda", data, "--out", eda]).status, 0)
        let r = try runLits(["preprocess", data, "--out", eda])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("holds the output of `lits eda`"), r.stderr)
        // The same command refreshes its own folder.
        XCTAssertEqual(try runLits(["eda", data, "--out", eda]).status, 0)
    }

    func testTrainRefusesToReplaceAFinishedRun() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        let train = ["train", work + "/pre", "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                     "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "1", "--batches-per-epoch", "1"]
        XCTAssertEqual(try runLits(train).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: work + "/run/best.safetensors"))
        let r = try runLits(train + ["--seed", "5"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("continue it with `lits train --resume") ?? false, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/run/best.safetensors")), before)
    }

    /// A second writer into a folder another run holds is refused, naming the holder.
    func testASecondWriterIsRefused() throws {
        let data = try makeTempDir(self), out = try makeTempDir(self) + "/pre"
        try writePhantomCase(dir: data, id: 1)
        XCTAssertEqual(try runLits(["preprocess", data, "--out", out]).status, 0)
        // Hold the lock as a running `lits preprocess` would (another open file, flock'ed).
        let fd = open(out + "/.litskit.lock", O_RDWR)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
        let note = "pid 777, `lits preprocess`, started 2026-12-02T08:00:00Z"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
        let manifest = try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))
        let r = try runLits(["preprocess", data, "--out", out, "--size", "64"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(out): another run is writing into this folder (\(note)); wait for it to finish or choose another folder"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")), manifest, "the holder's manifest is untouched")
    }

    func testImportAndEnhanceNeverReplaceOrAddCases() throws {
        let data = try makeTempDir(self), other = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 2)
        let original = try Data(contentsOf: URL(fileURLWithPath: data + "/volume-2.nii.gz"))
        // enhance into the dataset, or under a case's name anywhere: refused.
        var r = try runLits(["enhance", data, "--method", "slice", "--out", data + "/volume-3.nii.gz"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("inside the input dataset") ?? false, r.stderr)
        r = try runLits(["enhance", data, "--method", "slice", "--out", other + "/volume-3.nii.gz"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("named like a dataset case") ?? false, r.stderr)
        XCTAssertEqual(try Dataset.discover(data).map(\.id), ["2"])
        // import-mrc into a folder that already holds volume-2: refused, the file kept.
        try writeMRC(other + "/img.mrc", shape: [4, 5, 6], mode: 2, values: (0..<120).map(Float.init))
        r = try runLits(["import-mrc", "--image", other + "/img.mrc", "--id", "2", "--out", data])
        XCTAssertEqual(r.status, 1)
        XCTAssertNotNil(errorLines(r).first, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: data + "/volume-2.nii.gz")), original)
        // Into a folder of its own it writes, and a second import of the same id is refused.
        XCTAssertEqual(try runLits(["import-mrc", "--image", other + "/img.mrc", "--id", "2", "--out", other + "/case"]).status, 0)
        r = try runLits(["import-mrc", "--image", other + "/img.mrc", "--id", "2", "--out", other + "/case"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("volume-2.nii.gz: exists; refusing to replace it") ?? false, r.stderr)
    }

    /// SIGTERM (Slurm's time limit) stops training like Ctrl-C: after the batch, saved, exit 143.
    func testSIGTERMStopsTrainingCleanly() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: litsExecutable())
        p.arguments = ["train", work + "/pre", "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                       "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "3", "--batches-per-epoch", "400"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: work + "/run/config.json") && Date() < deadline { usleep(100_000) }
        usleep(1_500_000)
        p.terminate()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 143, "128 + SIGTERM: " + stderr)
        XCTAssertTrue(stderr.contains("interrupted: saved"), stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/interrupted.safetensors"))
    }

    /// Ctrl-C in the middle of a dataset run leaves no temporary file, and the rerun completes
    /// in the same folder.
    func testInterruptedPreprocessLeavesNothingHalfWrittenAndReruns() throws {
        let data = try makeTempDir(self), out = try makeTempDir(self) + "/pre"
        for id in 1...6 { try writePhantomCase(dir: data, id: id, shape: [96, 96, 60], spacing: [0.8, 0.8, 1]) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: litsExecutable())
        p.arguments = ["preprocess", data, "--out", out, "--size", "160", "--slice-spacing", "0.5", "--interpolation", "cubic", "--threads", "1"]
        p.standardError = Pipe()
        p.standardOutput = Pipe()
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: out + "/.litskit.json") && Date() < deadline { usleep(20_000) }
        usleep(300_000)
        p.interrupt()
        p.waitUntilExit()
        if p.terminationStatus != 0 { XCTAssertEqual(p.terminationStatus, 130) }
        let hidden = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix(".") && !$0.hasPrefix(".litskit.") }
        XCTAssertEqual(hidden, [], "no temporary files after the interrupt")
        let r = try runLits(["preprocess", data, "--out", out, "--size", "32"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("preprocessed 6 of 6 cases"), r.stdout)
    }
}
