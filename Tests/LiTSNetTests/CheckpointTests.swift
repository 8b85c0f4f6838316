import Foundation
import LiTSCore
import XCTest
@testable import LiTSNet

final class CheckpointTests: XCTestCase {
    func testSaveAndLoadGiveTheSameOutputs() throws {
        let dir = ProcessInfo.processInfo.environment["LITSNET_EXPORT"]
            ?? NSTemporaryDirectory() + "litskit-ckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["LITSNET_EXPORT"] == nil { try? FileManager.default.removeItem(atPath: dir) } }
        var config = UNetConfig()
        config.filters = [4, 8, 16]
        config.residual = true
        config.seed = 9
        let model = UNet3D(config)
        // One training forward moves the running statistics away from their initial values.
        var rng = SeededGenerator(seed: 4)
        let x = Tensor.uniform([1, 1, 8, 8, 16], bound: 1, using: &rng)
        model.setTraining(true)
        _ = model.forward(x)
        model.setTraining(false)
        let expected = model.forward(x)
        try Checkpoint.save(model, to: dir + "/model.safetensors", extra: ["epoch": "3"])
        let loaded = try Checkpoint.load(dir + "/model.safetensors")
        loaded.setTraining(false)
        XCTAssertEqual(loaded.forward(x), expected)
        XCTAssertEqual(try Checkpoint.info(dir + "/model.safetensors").extra["epoch"], "3")
        // For scripts/check_checkpoint_torch.py: the input and the eval-mode output.
        try Safetensors.write(["input": x, "output": expected], to: dir + "/io.safetensors")

        XCTAssertThrowsError(try Checkpoint.load(dir + "/missing.safetensors"))
        var other = config
        other.filters = [4, 8, 32]
        let otherModel = UNet3D(other)
        try Checkpoint.save(otherModel, to: dir + "/other.safetensors")
        // model.json's config (without its checksum, which is model.safetensors') beside other's weights.
        var info = try Checkpoint.info(dir + "/model.safetensors")
        info.sha256 = nil
        try JSONEncoder().encode(info).write(to: URL(fileURLWithPath: dir + "/other.json"))
        XCTAssertThrowsError(try Checkpoint.load(dir + "/other.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("shape mismatch"), "\(error)")
        }
    }
}
