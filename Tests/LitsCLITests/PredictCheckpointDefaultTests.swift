import Foundation
import XCTest

/// `lits predict` without --checkpoint predicts with what the run was trained for: the last
/// checkpoint of a poly-schedule run (decayed to near 0, nnU-Net's final model), the best one of
/// a plateau run; --checkpoint always wins.
final class PredictCheckpointDefaultTests: XCTestCase {
    func recordedCheckpoint(_ folder: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/predictions.json"))
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let files = try XCTUnwrap(record["checkpoint"] as? [String])
        XCTAssertEqual(files.count, 1)
        return URL(fileURLWithPath: files[0]).lastPathComponent
    }

    func testTheRunsScheduleChoosesTheCheckpoint() throws {
        let dir = try makeTempDir(self)
        let poly = try trainTinyRun(epochs: 2, data: dir + "/data", work: dir + "/poly")
        var r = try runLits(["train", dir + "/poly/pre", "--out", dir + "/plateau", "--patch", "16,16,8", "--filters", "4,8",
                             "--volumes-per-batch", "1", "--patches-per-volume", "1", "--epochs", "2",
                             "--batches-per-epoch", "2", "--lr-schedule", "plateau"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let configText = try String(contentsOfFile: poly + "/config.json", encoding: .utf8)
        XCTAssertTrue(configText.contains("\"poly\""), "the default recipe trains with the poly schedule")

        r = try runLits(["predict", "--run", poly, dir + "/data", "--out", dir + "/pred-poly"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try recordedCheckpoint(dir + "/pred-poly"), "last.safetensors")

        r = try runLits(["predict", "--run", dir + "/plateau", dir + "/data", "--out", dir + "/pred-plateau"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try recordedCheckpoint(dir + "/pred-plateau"), "best.safetensors")

        r = try runLits(["predict", "--run", poly, "--checkpoint", "best", dir + "/data", "--out", dir + "/pred-best"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try recordedCheckpoint(dir + "/pred-best"), "best.safetensors")
    }
}
