import Foundation
import XCTest
@testable import LiTSEvaluation

/// The numbers of the evaluation report come from `EvaluationSummary.compute`, not from the writer.
final class EvaluationSummaryTests: XCTestCase {
    func metrics(tp: Int, fp: Int, fn: Int) -> StructureMetrics {
        let n = tp + fp + fn
        let pred = (0..<n).map { $0 < tp + fp }, truth = (0..<n).map { $0 < tp || $0 >= tp + fp }
        return StructureMetrics(pred: pred, truth: truth, shape: [n, 1, 1], spacing: [1, 1, 1], surfaces: false)
    }

    func evaluation(_ id: String, liver: StructureMetrics, lesions: [LesionMatch], regions: [RegionMetrics],
                    predicted: Int, falsePositive: Int) -> CaseEvaluation {
        CaseEvaluation(id: id, prediction: "p", liver: liver, lesion: metrics(tp: 1, fp: 0, fn: 1), regions: regions, lesions: lesions,
                       predictedLesionComponents: predicted, falsePositiveLesionComponents: falsePositive,
                       liverSliceDice: [0.5, .nan, 1], liverExtent: nil)
    }

    func testAggregatesOverCases() {
        let region = { (r: String, d: Double, fp: Int) in RegionMetrics(region: r, liverDice: d, liverFP: fp, liverFN: 0, lesionDice: .nan, lesionFP: 0, lesionFN: 0) }
        let a = evaluation("1", liver: metrics(tp: 8, fp: 2, fn: 0),
                           lesions: [LesionMatch(id: 1, voxels: 50, equivalentDiameterMM: 5, region: "top", detected: true, dice: 0.8),
                                     LesionMatch(id: 2, voxels: 90, equivalentDiameterMM: 15, region: "middle", detected: false, dice: 0.1)],
                           regions: [region("top", 0.9, 5), region("middle", 0.7, 1)], predicted: 2, falsePositive: 1)
        let b = evaluation("2", liver: metrics(tp: 2, fp: 0, fn: 2),
                           lesions: [LesionMatch(id: 1, voxels: 900, equivalentDiameterMM: 25, region: "bottom", detected: false, dice: 0)],
                           regions: [region("top", 0.5, 0)], predicted: 0, falsePositive: 0)
        let s = EvaluationSummary.compute([a, b])
        let global: Double = 20.0 / 24, mean: Double = (16.0 / 18 + 4.0 / 6) / 2
        XCTAssertEqual(s.liver.globalDice!, global, accuracy: 1e-12)
        XCTAssertEqual(s.liver.meanDice!, mean, accuracy: 1e-12)
        XCTAssertEqual(s.region("top")!.meanLiverDice!, 0.7, accuracy: 1e-12)
        XCTAssertNil(s.region("top")!.meanLesionDice)
        XCTAssertEqual(s.region("top")!.liverFP, 5)
        XCTAssertEqual(s.regions.map(\.name), ["top", "middle", "bottom", "outside"])
        XCTAssertEqual(s.worstRegion, "top")
        XCTAssertEqual(s.sizes.map(\.lesions), [1, 1, 1])
        XCTAssertEqual(s.sizes.map(\.detected), [1, 0, 0])
        XCTAssertEqual(s.recall!, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s.precision!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.missed.map { "\($0.caseID)/\($0.lesion.id)" }, ["2/1", "1/2"], "largest first")
        XCTAssertEqual(s.profile.count, EvaluationSummary.profileBins)
        XCTAssertEqual(s.profile.compactMap { $0 }.count, 2, "the NaN slice is left out")
        XCTAssertNil(EvaluationSummary.compute([]).recall)
    }
}
