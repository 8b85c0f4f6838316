import Foundation
import XCTest
import LiTSCore

final class PreviewCommandTests: XCTestCase {
    func testPreviewWritesMontagesSlicesMetricsAndPage() throws {
        let data = try makeTempDir(self), out = try makeTempDir(self) + "/preview"
        try writePhantomCase(dir: data, id: 5)
        let r = try runLits(["preview", data, "--out", out, "--window", "liver", "--window", "-160,240", "--slices", "8,10,12"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["index.md", "montage-liver.png", "montage--160_240.png", "data/metrics.csv", "figures/enhancement_metrics.png",
                  "charts/enhancement_metrics.gp", "slices/liver-clahe-k10.png", "slices/-160_240-volume-body-k12.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(f)"), f)
        }
        let csv = try String(contentsOfFile: out + "/data/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 2 * 5, "one row per window and method")
        // Window only: liver 80 HU and tumor 30 HU are both constant, so their contrast is huge and
        // the liver mean is the same on every slice.
        let windowRow = csv.first { $0.hasPrefix("liver,window,") }!.split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(Double(windowRow[3])!, 0, accuracy: 1e-6)
        XCTAssertEqual(Double(windowRow[4])!, 180.0 / 500, accuracy: 1e-4)
        let page = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        XCTAssertTrue(page.contains("Row 4, `volume-body`"))
    }

    func testSliceOutsideTheVolumeIsAClearError() throws {
        let data = try makeTempDir(self), out = try makeTempDir(self) + "/p"
        try writePhantomCase(dir: data, id: 5)
        let r = try runLits(["preview", data, "--out", out, "--slices", "3,99", "--method", "slice"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("slice 99 is outside 0..<20") ?? false, r.stderr)
    }

    func testEnhanceWritesOnTheSourceGridAndNeverOverwrites() throws {
        let data = try makeTempDir(self), out = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 6)
        var r = try runLits(["enhance", data, "--method", "slice", "--out", out + "/eq.nii.gz"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (v, source) = try NIfTIReader.readFloat(path: out + "/eq.nii.gz")
        let (orig, origSource) = try NIfTIReader.readFloat(path: data + "/volume-6.nii.gz")
        XCTAssertEqual(v.shape, orig.shape)
        XCTAssertEqual(source.grid.axisCodes, "LPS")
        XCTAssertEqual(source.grid.affine, origSource.grid.affine)
        XCTAssertGreaterThanOrEqual(v.voxels.min()!, 0)
        XCTAssertLessThanOrEqual(v.voxels.max()!, 1)
        // Same voxel order as the source: air (-1000) maps to the darkest value, the liver (80 HU)
        // to a brighter one than the tumor (30 HU) on the same slice.
        let air = v.voxels[0], liverIndex = orig.voxels.firstIndex(of: 80)!
        XCTAssertLessThan(air, v.voxels[liverIndex])

        r = try runLits(["enhance", data, "--method", "clahe", "--out", out + "/eq.nii.gz"])
        XCTAssertEqual(r.status, 1, "an existing file is kept without --overwrite")
        r = try runLits(["enhance", data, "--method", "clahe", "--out", data + "/volume-6.nii.gz", "--overwrite"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("is an input file") ?? false, r.stderr)
    }

    func testPreprocessWithEqualization() throws {
        let data = try makeTempDir(self), out = try makeTempDir(self) + "/pre"
        try writePhantomCase(dir: data, id: 7)
        let r = try runLits(["preprocess", data, "--out", out, "--size", "24", "--equalize", "slice", "--bins", "32"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"equalize\" : \"slice\""))
        let vol = try NPY.read(path: out + "/vol7.npy").floats()
        XCTAssertEqual(vol.min(), 0)
        XCTAssertEqual(vol.max(), 1)
        XCTAssertNotEqual(try runLits(["preprocess", data, "--out", out + "2", "--equalize", "window"]).status, 0)
    }
}
