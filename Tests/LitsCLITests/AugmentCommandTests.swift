import Foundation
import XCTest

/// `lits train --augment` end to end: the settings in config.json, the montage in the run,
/// `none` as today, and --resume of an augmented run.
final class AugmentCommandTests: XCTestCase {
    private func train(_ pre: String, _ run: String, _ extra: [String], epochs: Int = 2) throws -> CLIResult {
        try runLits(["train", pre, "--out", run, "--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1",
                     "--patches-per-volume", "2", "--epochs", String(epochs), "--batches-per-epoch", "2"] + extra)
    }

    func testAugmentedRunRecordsItsSettingsShowsItsPatchesAndResumesExactly() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        let aug = ["--augment", "default", "--aug", "elastic=0.3:0,2", "--aug", "gamma=0"]
        var r = try train(work + "/pre", work + "/straight", aug)
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/straight/config.json"))) as! [String: Any]
        let a = try XCTUnwrap(config["augmentation"] as? [String: Any])
        XCTAssertEqual((a["elastic"] as? [String: Any])?["probability"] as? Double, 0.3)
        XCTAssertEqual(((a["elastic"] as? [String: Any])?["range"] as? [String: Any])?["high"] as? Double, 2)
        XCTAssertEqual((a["gamma"] as? [String: Any])?["probability"] as? Double, 0)
        XCTAssertEqual((a["rotation"] as? [String: Any])?["probability"] as? Double, 0.2, "the preset's value where --aug is silent")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/straight/figures/augmentation.png"))
        XCTAssertTrue(try String(contentsOfFile: work + "/straight/index.md", encoding: .utf8).contains("figures/augmentation.png"))

        r = try train(work + "/pre", work + "/resumed", aug, epochs: 1)
        XCTAssertEqual(r.status, 0, r.stderr)
        // Raise the epoch count in the saved config, as a run stopped after epoch 1 of 2 would have it.
        let path = work + "/resumed/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"epochs\" : 1,", with: "\"epochs\" : 2,")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        r = try runLits(["train", "--resume", work + "/resumed"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/resumed/last.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: work + "/straight/last.safetensors")), "resume is bit for bit with augmentation on")
    }

    func testAugmentNoneIsTheRunWithoutTheOption() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        // The baseline recipe has no augmentation (the default recipe's is nnU-Net's).
        XCTAssertEqual(try train(work + "/pre", work + "/plain", ["--recipe", "baseline"], epochs: 1).status, 0)
        XCTAssertEqual(try train(work + "/pre", work + "/none", ["--recipe", "baseline", "--augment", "none"], epochs: 1).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: work + "/none/last.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: work + "/plain/last.safetensors")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/none/figures/augmentation.png"))
        XCTAssertTrue(try String(contentsOfFile: work + "/none/index.md", encoding: .utf8).contains("Augmentation: none."))
    }
}
