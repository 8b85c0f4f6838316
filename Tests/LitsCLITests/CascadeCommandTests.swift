import Foundation
import XCTest
import LiTSCore

/// The cascade end to end on a tiny phantom: `--stage liver`, then `--stage lesion --liver-run`,
/// then `lits predict --run` on the lesion run, which runs both stages.
final class CascadeCommandTests: XCTestCase {
    struct Config: Decodable {
        struct Model: Decodable { var inChannels: Int; var outChannels: Int }
        struct LiverRun: Decodable { var path: String; var checkpoint: String; var sha256: String }
        var model: Model
        var stage: String?
        var liverRun: LiverRun?
        var liverMargin: Double?
    }

    func read<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func testLiverThenLesionStageThenOnePrediction() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        XCTAssertEqual(try runLits(["preprocess", data, "--out", work + "/pre", "--size", "32", "--slice-spacing", "4"]).status, 0)
        let small = ["--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1", "--patches-per-volume", "2",
                     "--epochs", "1", "--batches-per-epoch", "2"]
        var r = try runLits(["train", work + "/pre", "--out", work + "/liver", "--stage", "liver"] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let liver = try read(Config.self, work + "/liver/config.json")
        XCTAssertEqual(liver.stage, "liver")
        XCTAssertEqual([liver.model.inChannels, liver.model.outChannels], [1, 1])
        XCTAssertNil(liver.liverRun)

        // The lesion stage needs a liver run, and a liver-stage one.
        r = try runLits(["train", work + "/pre", "--out", work + "/bad", "--stage", "lesion"] + small)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("--liver-run") ?? false, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/bad"))
        r = try runLits(["train", work + "/pre", "--out", work + "/bad", "--liver-run", work + "/liver"] + small)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("--stage lesion only") ?? false, r.stderr)

        r = try runLits(["train", work + "/pre", "--out", work + "/lesion", "--stage", "lesion", "--liver-run", work + "/liver",
                         "--liver-margin", "8"] + small)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lesion = try read(Config.self, work + "/lesion/config.json")
        XCTAssertEqual(lesion.stage, "lesion")
        XCTAssertEqual([lesion.model.inChannels, lesion.model.outChannels], [2, 2])
        XCTAssertEqual(lesion.liverMargin, 8)
        struct Info: Decodable { var sha256: String }
        let best = try read(Info.self, work + "/liver/best.json")
        XCTAssertEqual(lesion.liverRun?.sha256, best.sha256)
        XCTAssertEqual(lesion.liverRun?.checkpoint, "best")
        XCTAssertEqual(lesion.liverRun?.path, URL(fileURLWithPath: work + "/liver").standardizedFileURL.path)
        // A joint run is not a liver run.
        XCTAssertEqual(try runLits(["train", work + "/pre", "--out", work + "/joint"] + small).status, 0)
        r = try runLits(["train", work + "/pre", "--out", work + "/bad", "--stage", "lesion", "--liver-run", work + "/joint"] + small)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("not a --stage liver run") ?? false, r.stderr)

        // One prediction from both stages, on the source grid.
        r = try runLits(["predict", "--run", work + "/lesion", data, "--out", work + "/pred"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (pred, predSource) = try NIfTIReader.readLabels(path: work + "/pred/segmentation-1.nii.gz")
        let (_, volumeSource) = try NIfTIReader.readFloat(path: data + "/volume-1.nii.gz")
        XCTAssertEqual(pred.shape, volumeSource.grid.shape)
        for (x, y) in zip(predSource.grid.affine.m, volumeSource.grid.affine.m) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        let record = try read([String: [String]].self, work + "/pred/predictions.json")
        XCTAssertEqual(record["checkpoint"]?.count, 2, "the lesion and the liver checkpoint")
        XCTAssertTrue(record["checkpoint"]?.last?.hasSuffix("liver/best.safetensors") ?? false)
        // The liver stage alone predicts liver only.
        r = try runLits(["predict", "--run", work + "/liver", data, "--out", work + "/pred-liver"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(try NIfTIReader.readLabels(path: work + "/pred-liver/segmentation-1.nii.gz").0.voxels.allSatisfy { $0 <= 1 })

        // A liver run whose checkpoint changed since is refused, naming it.
        XCTAssertEqual(try runLits(["train", "--resume", work + "/liver"]).status, 0)  // finished: nothing to do
        let config = work + "/lesion/config.json"
        let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: best.sha256, with: String(repeating: "0", count: 64))
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        r = try runLits(["predict", "--run", work + "/lesion", data, "--out", work + "/pred2"])
        XCTAssertEqual(r.status, 1)
        let line = try XCTUnwrap(errorLines(r).first, r.stderr)
        XCTAssertTrue(line.contains("liver/best.safetensors") && line.contains("not the liver checkpoint"), line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/pred2/segmentation-1.nii.gz"))
    }
}
