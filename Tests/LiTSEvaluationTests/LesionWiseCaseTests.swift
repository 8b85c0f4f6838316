import XCTest
import LiTSCore
@testable import LiTSEvaluation

/// Per-lesion errors, merges, splits and the lesion-wise region breakdown of `CaseEvaluator`,
/// on a crafted case whose numbers are counted by hand.
final class LesionWiseCaseTests: XCTestCase {
    func testMergesSplitsErrorsAndRegions() throws {
        let grid = Grid(shape: [20, 20, 12], spacing: [1, 1, 2], affine: Affine(rows: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]]))
        var truth = LabelMap(grid: grid, repeating: 0), pred = LabelMap(grid: grid, repeating: 0)
        for k in 0..<12 { for j in 1...18 { for i in 1...18 { truth[i, j, k] = 1; pred[i, j, k] = 1 } } }
        func box(_ m: inout LabelMap, _ i: ClosedRange<Int>, _ j: ClosedRange<Int>, _ k: ClosedRange<Int>) {
            for c in k { for b in j { for a in i { m[a, b, c] = 2 } } }
        }
        // Liver slices 0...11: bottom 0...3, middle 4...7, top 8...11.
        box(&truth, 2...5, 2...5, 1...2); box(&pred, 2...6, 2...5, 1...2)                  // A, bottom: one column too wide
        box(&truth, 2...4, 10...12, 5...5); box(&truth, 8...10, 10...12, 5...5)            // B, C, middle
        box(&pred, 2...10, 10...12, 5...5)                                                 // one prediction over both: a merge
        box(&truth, 10...17, 2...5, 9...9); box(&pred, 10...12, 2...5, 9...9); box(&pred, 15...17, 2...5, 9...9)  // D, top: a split
        box(&pred, 14...16, 14...16, 11...11)                                              // a false positive, top
        var options = EvaluationOptions()
        options.surfaces = false
        let e = CaseEvaluator.evaluate(id: "x", predictionPath: "p", truth: truth, prediction: pred, options: options)
        XCTAssertEqual(e.merges, 1)
        XCTAssertEqual(e.splits, 1)
        let a = try XCTUnwrap(e.lesions.first { $0.region == "bottom" })
        XCTAssertTrue(a.detected)
        XCTAssertEqual(a.predictedVoxels, 40)
        XCTAssertEqual(a.volumeErrorML!, 8 * 0.002, accuracy: 1e-12)
        XCTAssertEqual(a.diameterMM!, 18.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(a.diameterErrorMM!, 5 - 18.0.squareRoot(), accuracy: 1e-12)
        let regions = Dictionary(uniqueKeysWithValues: (e.lesionRegions ?? []).map { ($0.region, $0) })
        XCTAssertEqual(regions["bottom"]?.lesions, 1)
        XCTAssertEqual(regions["bottom"]?.detected, 1)
        XCTAssertEqual(regions["middle"]?.lesions, 2)
        XCTAssertEqual(regions["middle"]?.merges, 1)
        XCTAssertEqual(regions["middle"]?.splits, 0)
        XCTAssertEqual(regions["top"]?.splits, 1)
        XCTAssertEqual(regions["top"]?.predictedComponents, 3)
        XCTAssertEqual(regions["top"]?.falsePositiveComponents, 1)
        // panoptica: A matched (IoU 32/40), B and C not (IoU 9/27), D's parts 12/32 each: one match.
        XCTAssertEqual(regions["bottom"]?.instances.tp, 1)
        XCTAssertEqual(regions["middle"]?.instances.tp, 0)
        XCTAssertEqual(regions["middle"]?.instances.fn, 2)
        XCTAssertEqual(regions["middle"]?.instances.fp, 1)
        // BraTS: every lesion matched; the top's false positive scores 0 / 374.
        XCTAssertEqual(e.brats?.tp, 4)
        XCTAssertEqual(e.brats?.fp, 1)
        XCTAssertEqual(regions["top"]?.bratsFP, 1)
        XCTAssertEqual(regions["top"]!.bratsDice, (2 * 24.0 / 56) / 2, accuracy: 1e-12)
        XCTAssertEqual(regions["middle"]!.bratsDice, 2 * 9.0 / 36, accuracy: 1e-12)
        let s = EvaluationSummary.compute([e])
        XCTAssertEqual(s.lesionWise.merges, 1)
        XCTAssertEqual(s.lesionWise.region("top")?.bratsFP, 1)
        XCTAssertEqual(s.lesionWise.bratsMeanDice!, e.brats!.dice, accuracy: 1e-15)
    }
}
