import Foundation
import XCTest
import LiTSImaging
@testable import LiTSEvaluation

/// BraTS 2023 lesion-wise metrics against the BraTS code (scripts/make_brats_lesionwise_fixtures.py
/// wrote Fixtures/brats_lesionwise.json, BraTS-MET parameters, HD95 in medpy's definition).
final class BraTSLesionWiseTests: XCTestCase {
    func score(pred: [Bool], truth: [Bool], shape: [Int], spacing: [Double]) -> BraTSLesionWise {
        let p = ConnectedComponents.label(shape: shape, mask: pred, connectivity: .twentySix)
        let t = ConnectedComponents.label(shape: shape, mask: truth, connectivity: .twentySix)
        return BraTSLesionWise.compute(truth: t, prediction: p, truthVoxels: CaseEvaluator.componentVoxels(t),
                                       predictionVoxels: CaseEvaluator.componentVoxels(p), spacing: spacing) { _ in nil }
    }

    func testEqualsBraTSCode() throws {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("brats_lesionwise.json")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let cases = doc["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 8)
        for c in cases {
            let name = c["name"] as! String, shape = c["shape"] as! [Int]
            // NIfTI stores the spacing as float32, which is what BraTS read back.
            let spacing = (c["spacing"] as! [Double]).map { Double(Float($0)) }
            let n = shape.reduce(1, *)
            let m = score(pred: fixtureMask(c["pred"] as! [Int], count: n), truth: fixtureMask(c["truth"] as! [Int], count: n),
                          shape: shape, spacing: spacing)
            let e = c["expected"] as! [String: Any]
            XCTAssertEqual([m.tp, m.fp, m.fn], [e["tp"], e["fp"], e["fn"]].map { ($0 as! NSNumber).intValue }, name)
            XCTAssertEqual(m.dice, e["dice"] as! Double, accuracy: 1e-12, name)
            XCTAssertEqual(m.hd95, e["hd95"] as! Double, accuracy: 1e-6, name)
        }
    }

    /// A hand-computed case: one lesion found exactly (Dice 1, HD95 0), one missed, one false
    /// positive: Dice (1 + 0 + 0) / 3, HD95 (0 + 374 + 374) / 3.
    func testMissedAndFalsePositiveScoreZeroAndMaxDistance() {
        let shape = [12, 12, 12]
        var t = [Bool](repeating: false, count: 12 * 12 * 12), p = t
        func box(_ m: inout [Bool], _ lo: Int, _ hi: Int) {
            for k in lo..<hi { for j in lo..<hi { for i in lo..<hi { m[i + 12 * (j + 12 * k)] = true } } }
        }
        box(&t, 1, 3); box(&p, 1, 3)     // found
        box(&t, 5, 7)                    // missed
        box(&p, 9, 11)                   // false positive
        let m = score(pred: p, truth: t, shape: shape, spacing: [1, 1, 1])
        XCTAssertEqual([m.tp, m.fn, m.fp], [1, 1, 1])
        XCTAssertEqual(m.dice, 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(m.hd95, 2 * 374.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.lesions.map(\.hd95), [0, 374])
    }
}
