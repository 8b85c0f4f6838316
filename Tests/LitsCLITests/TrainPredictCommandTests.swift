import Foundation
import XCTest
import LiTSCore

final class TrainPredictCommandTests: XCTestCase {
    func testTrainThenPredictWritesSegmentationsOnTheSourceGrid() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        var r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", work + "/pre", "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                         "--volumes-per-batch", "1", "--patches-per-volume", "2", "--epochs", "2", "--batches-per-epoch", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("fewer than three cases"), "one case cannot show generalisation: say so")
        for f in ["config.json", "history.csv", "best.safetensors", "best.json", "last.safetensors", "index.md", "figures/training_curves.png", "figures/sampler_shares.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(work)/run/\(f)"), f)
        }
        XCTAssertEqual(try String(contentsOfFile: work + "/run/history.csv", encoding: .utf8).split(separator: "\n").count, 3)

        r = try runLits(["predict", "--run", work + "/run", data, "--out", work + "/pred", "--probabilities"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (pred, predSource) = try NIfTIReader.readLabels(path: work + "/pred/segmentation-1.nii.gz")
        let (_, volumeSource) = try NIfTIReader.readFloat(path: data + "/volume-1.nii.gz")
        XCTAssertEqual(pred.shape, volumeSource.grid.shape)
        XCTAssertEqual(predSource.grid.axisCodes, "LPS")
        assertAffinesClose(predSource.grid.affine, volumeSource.grid.affine)
        XCTAssertEqual(predSource.datatypeName, "uint8")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/pred/probability-lesion-1.nii.gz"))

        r = try runLits(["predict", "--run", work + "/run", data, "--out", work + "/pred2", "--lits-names"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/pred2/test-segmentation-1.nii"))

        // Test-time mirroring: the same grid, probabilities that differ from the plain ones (a
        // barely trained network is far from flip-symmetric) but stay probabilities.
        r = try runLits(["predict", "--run", work + "/run", data, "--out", work + "/pred3", "--tta", "mirror", "--probabilities"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let plain = try NIfTIReader.readFloat(path: work + "/pred/probability-liver-1.nii.gz").0
        let mirrored = try NIfTIReader.readFloat(path: work + "/pred3/probability-liver-1.nii.gz").0
        XCTAssertEqual(mirrored.shape, plain.shape)
        XCTAssertNotEqual(mirrored.voxels, plain.voxels)
        XCTAssertTrue(mirrored.voxels.allSatisfy { (0...1).contains($0) })
        r = try runLits(["predict", "--run", work + "/run", data, "--out", work + "/pred4", "--tta", "flip"])
        XCTAssertEqual(r.status, 64, r.stderr)
    }

    func testTrainOnARawDatasetPreprocessesIntoTheRun() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 2, shape: [32, 32, 12])
        let r = try runLits(["train", data, "--out", work + "/run", "--size", "32", "--slice-spacing", "4", "--window", "-200,300",
                             "--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "1",
                             "--epochs", "1", "--batches-per-epoch", "1", "--allow-qa-errors"])  // a child-sized phantom: QA errors
        XCTAssertEqual(r.status, 0, r.stderr)
        let manifest = try String(contentsOfFile: work + "/run/preprocessed/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"low\" : -200"), manifest)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/preprocessed/vol2.npy"))
    }

    func testPredictBadInputs() throws {
        let work = try makeTempDir(self)
        try FileManager.default.createDirectory(atPath: work + "/run", withIntermediateDirectories: true)
        var r = try runLits(["predict", "--run", work + "/run", work, "--out", work + "-p"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("no config.json") ?? false, r.stderr)
        r = try runLits(["train", work + "/empty", "--out", work + "/r2"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r).count, 1, r.stderr)
    }

    func assertAffinesClose(_ a: Affine, _ b: Affine, file: StaticString = #filePath, line: UInt = #line) {
        for (x, y) in zip(a.m, b.m) { XCTAssertEqual(x, y, accuracy: 1e-4, file: file, line: line) }
    }
}

final class TrainInterruptTests: XCTestCase {
    /// Ctrl-C stops after the current batch, keeps the last finished epoch's checkpoint intact and
    /// saves the interrupted state beside it; --resume then carries on.
    func testCtrlCSavesCleanlyAndResumes() throws {
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
        // Wait until training has started (the config is written first), then interrupt.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: work + "/run/config.json") && Date() < deadline { usleep(100_000) }
        usleep(1_500_000)
        p.interrupt()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130, stderr)
        XCTAssertTrue(stderr.contains("interrupted: saved"), stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/interrupted.safetensors"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work + "/run").filter { $0.hasPrefix(".") && !$0.hasPrefix(".litskit.") }
        XCTAssertEqual(leftovers, [], "no half-written files")
    }
}
