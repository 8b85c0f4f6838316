import Foundation
import XCTest
import LiTSCore

final class PreprocessCommandTests: XCTestCase {
    func testPreprocessWritesArraysAndManifest() throws {
        let data = try makeTempDir(self), out = try makeTempDir(self) + "/pre"
        try writePhantomCase(dir: data, id: 3)
        try writePhantomCase(dir: data + "/nested", id: 11, shape: [36, 30, 16])
        let r = try runLits(["preprocess", data, "--out", out, "--size", "32", "--slice-spacing", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        let cases = manifest["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.map { $0["id"] as! String }, ["3", "11"])
        let first = cases[0]
        XCTAssertEqual(first["originalShape"] as! [Int], [40, 32, 20])
        XCTAssertEqual(first["originalOrientation"] as! String, "LPS")
        XCTAssertEqual(first["shape"] as! [Int], [32, 32, 40], "20 slices of 4 mm become 40 of 2 mm")
        XCTAssertEqual((first["spacing"] as! [Double])[2], 2.0, accuracy: 1e-9)

        let vol = try NPY.read(path: out + "/vol3.npy")
        XCTAssertEqual(vol.shape, [40, 32, 32], "C order (nz, ny, nx)")
        let values = vol.floats()
        XCTAssertEqual(values.min(), 0)
        XCTAssertEqual(values.max(), 1)
        let mask = try NPY.read(path: out + "/mask3.npy")
        XCTAssertEqual(mask.shape, [40, 32, 32])
        let labels = mask.bytes()
        XCTAssertEqual(Set(labels), [0, 1, 2])
        // Canonical RAS+: the liver was at low i in LPS (patient's right), so it is at high i now,
        // and in the upper half (high k) in both.
        var sumI = 0.0, sumK = 0.0, n = 0.0
        for (idx, l) in labels.enumerated() where l >= 1 {
            sumI += Double(idx % 32); sumK += Double(idx / (32 * 32)); n += 1
        }
        XCTAssertGreaterThan(sumI / n, 16, "liver on the patient's right = +x in RAS")
        XCTAssertGreaterThan(sumK / n, 20, "liver in the superior half")
        // Min-max after windowing, as the baseline: air clips to -100 -> 0, the liver's 80 HU is the
        // maximum -> 1, the tumor's 30 HU -> (30 + 100) / 180.
        XCTAssertEqual(first["normalizationMin"] as! Double, -100)
        XCTAssertEqual(first["normalizationMax"] as! Double, 80)
        func median(_ label: UInt8) -> Double {
            let v = labels.enumerated().filter { $0.element == label }.map { values[$0.offset] }.sorted()
            return Double(v[v.count / 2])
        }
        XCTAssertEqual(median(1), 1, accuracy: 1e-6)
        XCTAssertEqual(median(2), 130.0 / 180, accuracy: 0.05, "a small sphere: partial volume with the liver")
    }

    func testOneBadCaseDoesNotStopTheOthers() throws {
        let data = try makeTempDir(self), out = try makeTempDir(self) + "/pre"
        try writePhantomCase(dir: data, id: 1)
        try writePhantomCase(dir: data, id: 2) { $0.voxels[5] = 3 }
        let r = try runLits(["preprocess", data, "--out", out, "--size", "16"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/vol1.npy"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/vol2.npy"), "no partial output for the failed case")
        let errors = errorLines(r)
        XCTAssertTrue(errors.contains { $0.contains("segmentation-2.nii.gz: labels outside {0, 1, 2}: 3 (1 voxels)") }, r.stderr)
        XCTAssertTrue(errors.contains { $0.contains("1 of 2 cases failed: 2") }, r.stderr)
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"failed\""))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix(".") && !$0.hasPrefix(".litskit.") }
        XCTAssertEqual(leftovers, [])
    }

    func testRefusesOutputInsideInputAndForeignFolders() throws {
        let data = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1)
        var r = try runLits(["preprocess", data, "--out", data + "/out"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r), ["lits: error: \(data)/out: output folder is inside the input \(data); choose a folder outside it"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/out"))

        let foreign = try makeTempDir(self)
        try "mine".write(toFile: foreign + "/vol1.npy", atomically: true, encoding: .utf8)
        r = try runLits(["preprocess", data, "--out", foreign])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(try String(contentsOfFile: foreign + "/vol1.npy", encoding: .utf8), "mine", "never overwritten")
    }

    func testArgumentValidation() throws {
        let data = try makeTempDir(self)
        for bad in [["--window", "400,-100"], ["--size", "0"], ["--interpolation", "nearest"], ["--slice-spacing", "-1"]] {
            let r = try runLits(["preprocess", data, "--out", data + "-x"] + bad)
            XCTAssertNotEqual(r.status, 0, "\(bad)")
            XCTAssertTrue(r.stderr.contains("Error:"), r.stderr)
        }
    }
}
