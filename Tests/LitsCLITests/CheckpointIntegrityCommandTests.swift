import Foundation
import XCTest
import LiTSCore

/// A checkpoint whose bytes changed after it was written is refused, with one line naming it,
/// by `lits predict` and by `lits train --resume`.
final class CheckpointIntegrityCommandTests: XCTestCase {
    static let mismatch = "checksum mismatch: the file was changed or damaged after it was written"

    /// Flips one bit in place (the same inode, as a disk error would) near the end of the file,
    /// in the last tensor's data, so that the file still parses.
    func flipByte(in path: String) throws {
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        try handle.seek(toOffset: end - 3)
        let byte = try XCTUnwrap(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: end - 3)
        try handle.write(contentsOf: [byte ^ 0x10])
    }

    func testPredictAndResumeRefuseAFlippedByte() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        var r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", work + "/pre", "--out", work + "/run", "--patch", "16,16,8", "--filters", "4,8",
                         "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "2", "--batches-per-epoch", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let fm = FileManager.default
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: work + "/run").filter { $0.hasPrefix(".") && !$0.hasPrefix(".litskit.") }, [], "no temporary files left")
        let sets = try fm.contentsOfDirectory(atPath: work + "/run/checkpoints")
        XCTAssertTrue(sets.contains("epoch-0002.safetensors") && sets.contains("epoch-0002.optimizer.safetensors"), "\(sets)")
        XCTAssertFalse(sets.contains("epoch-0001.optimizer.safetensors"), "the previous set is removed after the commit")

        // predict: best.safetensors damaged (in a copy of the run, where it is a file of its own).
        try fm.copyItem(atPath: work + "/run", toPath: work + "/damaged")
        r = try runLits(["predict", "--run", work + "/damaged", data, "--out", work + "/pred"])
        XCTAssertEqual(r.status, 0, "the undamaged copy predicts: \(r.stderr)")
        try flipByte(in: work + "/damaged/best.safetensors")
        r = try runLits(["predict", "--run", work + "/damaged", "--checkpoint", "best", data, "--out", work + "/pred2"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/damaged/best.safetensors: \(Self.mismatch)"], r.stderr)
        XCTAssertFalse(fm.fileExists(atPath: work + "/pred2/segmentation-1.nii.gz"))

        // --resume: the last epoch's weights damaged, through last.safetensors (the same file).
        try flipByte(in: work + "/run/last.safetensors")
        r = try runLits(["train", "--resume", work + "/run"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/run/checkpoints/epoch-0002.safetensors: \(Self.mismatch)"], r.stderr)
        // and the optimizer state likewise.
        try fm.copyItem(atPath: work + "/damaged", toPath: work + "/damaged2")
        try flipByte(in: work + "/damaged2/checkpoints/epoch-0002.optimizer.safetensors")
        r = try runLits(["train", "--resume", work + "/damaged2"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(errorLines(r), ["lits: error: \(work)/damaged2/checkpoints/epoch-0002.optimizer.safetensors: \(Self.mismatch)"], r.stderr)
    }
}
