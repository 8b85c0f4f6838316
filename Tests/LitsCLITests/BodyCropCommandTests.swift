import Foundation
import XCTest
import LiTSCore

/// `--crop-body` end to end: a tiny instance-norm run trained on phantoms cut to the body
/// predicts a phantom on its source grid, background outside the body's box.
final class BodyCropCommandTests: XCTestCase {
    func testInstanceNormRunWithTheCropPredictsAPhantom() throws {
        let data = try makeTempDir(self), work = try makeTempDir(self)
        try writePhantomCase(dir: data, id: 1, shape: [32, 32, 12])
        try writePhantomCase(dir: data, id: 2, shape: [32, 32, 12])
        var r = try runLits(["train", data, "--out", work + "/run", "--recipe", "baseline", "--crop-body", "--spacing", "1.5,1.5,3",
                             "--norm", "instance", "--patch", "16,16,8", "--filters", "4,8", "--volumes-per-batch", "1",
                             "--patches-per-volume", "2", "--epochs", "10", "--batches-per-epoch", "4", "--lr", "0.01",
                             "--seed", "1", "--threads", "1", "--allow-qa-errors"])   // a phantom is no adult abdomen
        XCTAssertEqual(r.status, 0, r.stderr)
        guard r.status == 0 else { return }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/run/preprocessed/manifest.json"))) as? [String: Any]
        XCTAssertEqual((manifest?["options"] as? [String: Any])?["cropToBody"] as? Bool, true)
        let boxes = (manifest?["cases"] as? [[String: Any]])?.compactMap { $0["bodyBox"] as? [String: [Int]] }
        XCTAssertEqual(boxes?.count, 2, "the manifest records each case's box")
        r = try runLits(["predict", "--run", work + "/run", data, "--out", work + "/p", "--probabilities", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)

        let (ct, source) = try NIfTIReader.readFloat(path: data + "/volume-1.nii.gz")
        let (truth, _) = try NIfTIReader.readLabels(path: data + "/segmentation-1.nii.gz")
        let (labels, written) = try NIfTIReader.readLabels(path: work + "/p/segmentation-1.nii.gz")
        let liverP = try NIfTIReader.readFloat(path: work + "/p/probability-liver-1.nii.gz").0
        XCTAssertEqual(written.grid.shape, source.grid.shape)
        XCTAssertEqual(written.grid.affine, source.grid.affine)
        // The body's box in the source file's indices (the phantom's body is one component).
        var lo = [Int.max, Int.max, Int.max], hi = [-1, -1, -1]
        for k in 0..<12 { for j in 0..<32 { for i in 0..<32 where ct[i, j, k] > -500 {
            for (a, v) in [i, j, k].enumerated() { lo[a] = min(lo[a], v); hi[a] = max(hi[a], v) }
        } } }
        var both = 0, predicted = 0, truthCount = 0
        for k in 0..<12 { for j in 0..<32 { for i in 0..<32 {
            let inside = (0..<3).allSatisfy { a in ([i, j, k][a] >= lo[a]) && ([i, j, k][a] <= hi[a]) }
            if !inside {
                XCTAssertEqual(labels[i, j, k], 0, "background outside the body's box at (\(i), \(j), \(k))")
                XCTAssertEqual(liverP[i, j, k], 0, "no probability outside the box")
            }
            XCTAssertTrue(liverP[i, j, k].isFinite && (0...1).contains(liverP[i, j, k]))
            let p = labels[i, j, k] >= 1, t = truth[i, j, k] >= 1
            if p { predicted += 1 }
            if t { truthCount += 1 }
            if p && t { both += 1 }
        } } }
        XCTAssertLessThan(hi[0] - lo[0], 31, "the phantom's body does not fill the volume, so the box crops something")
        let dice = 2 * Double(both) / Double(predicted + truthCount)
        XCTAssertGreaterThan(dice, 0.3, "a sensible liver after 10 tiny epochs (measured 0.48)")
    }
}
