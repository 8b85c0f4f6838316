import Foundation
import XCTest
import LiTSCore
import LiTSNet

/// `--precision fp32|bf16` on `lits train` and `lits predict`: recorded in config.json, refused
/// up front where the CPU lacks AVX512_BF16, and a bf16 run predicted on such a CPU falls back to
/// exactly the fp32 prediction.
final class PrecisionCommandTests: XCTestCase {
    let train = ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "2",
                 "--epochs", "1", "--batches-per-epoch", "2"]

    func testPrecisionIsRecordedAndBF16IsRefusedOrRunsAsTheCPUAllows() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        var r = try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["train", work + "/pre", "--out", work + "/fp32"] + train)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try config(work + "/fp32")["precision"] as? String, "fp32")

        r = try runLits(["train", work + "/pre", "--out", work + "/bf16", "--precision", "bf16"] + train)
        if KernelConvolution.isSupported(.bf16) {
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try config(work + "/bf16")["precision"] as? String, "bf16")
        } else {
            XCTAssertNotEqual(r.status, 0)
            XCTAssertEqual(errorLines(r).count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("AVX512_BF16"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/bf16"), "a refused run leaves no folder")
            r = try runLits(["predict", "--run", work + "/fp32", data, "--out", work + "/refused", "--precision", "bf16"])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("AVX512_BF16"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/refused"))
        }
        r = try runLits(["train", work + "/pre", "--out", work + "/x", "--precision", "fp16"] + train)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("fp16"), r.stderr)
    }

    func testABF16RunPredictsExactlyAsFP32WhereTheCPULacksBF16() throws {
        try XCTSkipIf(KernelConvolution.isSupported(.bf16), "this CPU runs bf16: there is no fallback to check")
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        var r = try runLits(["train", data, "--out", work + "/run", "--size", "32", "--slice-spacing", "4", "--allow-qa-errors"] + train)
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runLits(["predict", "--run", work + "/run", data, "--out", work + "/fp32", "--probabilities"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The same weights, recorded as a bf16 run (as one trained on a CPU with AVX512_BF16).
        let path = work + "/run/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.contains("\"precision\" : \"fp32\""), text)
        try text.replacingOccurrences(of: "\"precision\" : \"fp32\"", with: "\"precision\" : \"bf16\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        r = try runLits(["predict", "--run", work + "/run", data, "--out", work + "/fallback", "--probabilities"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for name in ["segmentation-1.nii.gz", "probability-liver-1.nii.gz", "probability-lesion-1.nii.gz"] {
            let a = try NIfTIReader.readFloat(path: "\(work)/fp32/\(name)").0.voxels
            let b = try NIfTIReader.readFloat(path: "\(work)/fallback/\(name)").0.voxels
            XCTAssertEqual(a, b, name)
        }
    }

    func config(_ run: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
