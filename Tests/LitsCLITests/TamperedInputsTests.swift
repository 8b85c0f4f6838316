import Foundation
import XCTest
import LiTSCore

/// Files the tool wrote earlier, then edited or damaged by hand, and predictions on another grid
/// (issue 13 items 2, 9 and 18), tried through the CLI on real files.
final class TamperedInputsTests: XCTestCase {
    /// A manifest edited to point outside its folder is refused, naming the manifest; the file it
    /// points at is never read into training.
    func testAManifestPointingOutsideItsFolderIsRefused() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        let manifest = work + "/pre/manifest.json"
        let original = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as? [String: Any])
        for target in ["../../../../etc/passwd", "/etc/passwd", "sub/vol1.npy", ".hidden.npy", "vol1.txt"] {
            var edited = original
            var cases = try XCTUnwrap(edited["cases"] as? [[String: Any]])
            cases[0]["volumeFile"] = target
            edited["cases"] = cases
            try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: manifest))
            let r = try runLits(["train", work + "/pre", "--out", work + "/run-\(UUID().uuidString)", "--patch", "16,16,8",
                                 "--filters", "4,8", "--epochs", "1", "--batches-per-epoch", "1"])
            XCTAssertEqual(r.status, 1, "\(target): \(r.stderr)")
            let line = errorLines(r).first ?? ""
            XCTAssertTrue(line.contains("manifest.json") && line.contains("must be a .npy file inside the folder"), "\(target): \(r.stderr)")
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
        }
    }

    /// A prediction with the truth's shape but shifted 40 mm is refused with both affines; the
    /// same anatomy stored in another orientation (x and z flipped) scores as the original does.
    func testEvaluateRefusesAShiftedPredictionAndReorientsAFlippedOne() throws {
        let truth = try makeTempDir(self), pred = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: truth, id: 1)
        let (loaded, _) = try NIfTIReader.readLabels(path: truth + "/segmentation-1.nii.gz")
        try NIfTIWriter.write(loaded, to: pred + "/segmentation-1.nii.gz")
        var r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/same"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let sameRow = try casesRow(work + "/same")

        // Shifted: origin 40 mm along x, voxels unchanged.
        var shiftedGrid = loaded.grid
        shiftedGrid.affine[0, 3] += 40
        try NIfTIWriter.write(LabelMap(grid: shiftedGrid, voxels: loaded.voxels), to: pred + "/segmentation-1.nii.gz")
        r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/shifted"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let line = errorLines(r).first ?? ""
        XCTAssertTrue(line.contains("segmentation-1.nii.gz") && line.contains("not the same grid"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/shifted/index.md"), "no report for a refused case")

        // Flipped in x and z: voxel (i, j, k) of the file is (nx-1-i, j, nz-1-k) of the truth, and
        // the affine says so, so the anatomy is the same.
        let (nx, ny, nz) = (loaded.grid.shape[0], loaded.grid.shape[1], loaded.grid.shape[2])
        var flipped = LabelMap(grid: loaded.grid, repeating: 0)
        for k in 0..<nz { for j in 0..<ny { for i in 0..<nx { flipped[i, j, k] = loaded[nx - 1 - i, j, nz - 1 - k] } } }
        let a = loaded.grid.affine.rows
        var f = a
        for row in 0..<3 {
            f[row][0] = -a[row][0]
            f[row][2] = -a[row][2]
            f[row][3] = a[row][3] + a[row][0] * Double(nx - 1) + a[row][2] * Double(nz - 1)
        }
        flipped.grid.affine = Affine(rows: f)
        try NIfTIWriter.write(flipped, to: pred + "/segmentation-1.nii.gz")
        r = try runLits(["evaluate", "--pred", pred, "--truth", truth, "--out", work + "/flipped"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try casesRow(work + "/flipped"), sameRow, "a reoriented copy of the truth scores as the truth does")
    }

    /// A shard that lost one of the case files its shard.json lists is refused by merge (unless
    /// --partial), naming the lost file; nothing is written.
    func testMergeRefusesAShardThatLostACaseFile() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        for id in 1...3 { try writePhantomCase(dir: data, id: id, shape: [30, 26, 12]) }
        for i in 1...2 { XCTAssertEqual(try runLits(["eda", data, "--out", "\(work)/part\(i)", "--shard", "\(i)/2"]).status, 0) }
        try FileManager.default.removeItem(atPath: work + "/part1/data/cases/3.json")
        let r = try runLits(["eda", "merge", work + "/part1", work + "/part2", "--out", work + "/merged"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let line = errorLines(r).first ?? ""
        XCTAssertTrue(line.contains("3.json") && line.contains("missing"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/merged/index.md"))
    }

    func casesRow(_ report: String) throws -> String {
        let lines = try String(contentsOfFile: report + "/data/cases.csv", encoding: .utf8).split(separator: "\n")
        return String(lines[1])
    }
}
