import Foundation
import XCTest
import LiTSCore

/// `--spacing`: preprocessing to a target spacing in mm, training on it, and prediction that
/// repeats it and writes back on the source grid.
final class SpacingCommandTests: XCTestCase {
    struct Manifest: Decodable {
        struct Options: Decodable { var targetSpacing: [Double]? }
        struct Entry: Decodable { var shape: [Int]; var spacing: [Double] }
        var options: Options
        var cases: [Entry]
    }

    func testPreprocessAtASpacingGivesTheShapeAndSpacingOfThatSpacing() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)  // 40x32x20 voxels of 1.2x1.2x4 mm: 48x38.4x80 mm
        let r = try runLits(["preprocess", data, "--out", work + "/pre", "--spacing", "2,2,5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: work + "/pre/manifest.json")))
        XCTAssertEqual(manifest.options.targetSpacing, [2, 2, 5])
        let e = try XCTUnwrap(manifest.cases.first)
        // round(48 / 2) = 24, round(38.4 / 2) = 19, round(80 / 5) = 16; the field of view is kept,
        // so the spacing reached is extent / sides (the header stores float32 spacings).
        XCTAssertEqual(e.shape, [24, 19, 16])
        XCTAssertEqual(e.spacing[0], 2, accuracy: 1e-5)
        XCTAssertEqual(e.spacing[1], 38.4 / 19, accuracy: 1e-5)
        XCTAssertEqual(e.spacing[2], 5, accuracy: 1e-5)
        let vol = try NPY.read(path: work + "/pre/vol1.npy")
        XCTAssertEqual(vol.shape, [16, 19, 24])
        // An isotropic spacing is one number.
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/iso", "--spacing", "4"]).status, 0)
        let iso = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: work + "/iso/manifest.json")))
        XCTAssertEqual(iso.cases.first?.shape, [12, 10, 20])
    }

    func testSpacingIsExclusiveWithSizeAndRefusesGridsThatCannotFit() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        for extra in [["--size", "32"], ["--slice-spacing", "3"]] {
            let r = try runLits(["preprocess", data, "--out", work + "/x", "--spacing", "2,2,5"] + extra)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("--spacing sets the spacing of every axis"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/x"))
        }
        for bad in ["0,1,1", "1,2", "a", "1,1,-3", "nan"] {
            XCTAssertNotEqual(try runLits(["preprocess", data, "--out", work + "/y", "--spacing", bad]).status, 0, bad)
        }
        // 1e-5 mm asks for about 1e20 voxels: refused before allocating, naming the volume.
        let r = try runLits(["preprocess", data, "--out", work + "/z", "--spacing", "0.00001"])
        XCTAssertEqual(r.status, 1)
        let line = try XCTUnwrap(errorLines(r).first, r.stderr)
        XCTAssertTrue(line.contains("volume-1.nii.gz") && line.contains("memory") && line.contains("--spacing"), line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/z/manifest.json"))
    }

    func testPredictOnASpacingTrainedRunRepeatsItAndReturnsTheOriginalGrid() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 3, shape: [36, 30, 14], spacing: [1.1, 1.25, 3])
        var r = try runLits(["train", data, "--out", work + "/run", "--spacing", "2,2,4", "--patch", "16,16,8", "--filters", "4,8",
                             "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "1", "--batches-per-epoch", "1",
                             "--sampling", "region-balanced", "--allow-qa-errors", "--no-crop-body"])  // a child-sized phantom: QA errors; the whole grid
        XCTAssertEqual(r.status, 0, r.stderr)
        struct Config: Decodable {
            struct Pre: Decodable { var targetSpacing: [Double]? }
            var preprocessing: Pre
        }
        let config = try JSONDecoder().decode(Config.self, from: Data(contentsOf: URL(fileURLWithPath: work + "/run/config.json")))
        XCTAssertEqual(config.preprocessing.targetSpacing, [2, 2, 4])
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: work + "/run/preprocessed/manifest.json")))
        XCTAssertEqual(manifest.cases.first?.shape, [20, 19, 11])  // round(39.6/2), round(37.5/2), round(42/4)
        XCTAssertTrue(try String(contentsOfFile: work + "/run/index.md", encoding: .utf8).contains("every axis to 2.0 x 2.0 x 4.0 mm"))
        let history = try String(contentsOfFile: work + "/run/history.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(history[0].hasSuffix(",seconds,share_placed_liver,share_placed_lesion,share_placed_uniform,share_placed_top,share_placed_middle,share_placed_bottom"))
        XCTAssertEqual(history[1].split(separator: ",", omittingEmptySubsequences: false).count, 19)

        r = try runLits(["predict", "--run", work + "/run", data, "--out", work + "/pred", "--probabilities"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (pred, predSource) = try NIfTIReader.readLabels(path: work + "/pred/segmentation-3.nii.gz")
        let (_, volumeSource) = try NIfTIReader.readFloat(path: data + "/volume-3.nii.gz")
        XCTAssertEqual(pred.shape, [36, 30, 14])
        XCTAssertEqual(predSource.grid.shape, volumeSource.grid.shape)
        for (x, y) in zip(predSource.grid.affine.m, volumeSource.grid.affine.m) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        XCTAssert(pred.voxels.allSatisfy { $0 <= 2 })
        let (prob, _) = try NIfTIReader.readFloat(path: work + "/pred/probability-liver-3.nii.gz")
        XCTAssertEqual(prob.shape, [36, 30, 14])
    }
}
