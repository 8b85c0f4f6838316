import Foundation
import XCTest
import LiTSCore
import LiTSInference
@testable import LiTSTraining

/// nnU-Net's rule on crafted cases: each post-processing step is kept only where it raises the
/// mean Dice of its class over the out-of-fold cases. The variants are made from crafted
/// probability maps by LiTSInference's own post-processing (`Postprocess.labels`), as
/// `Predictor.predict(_:postprocessing:)` makes them.
final class PostprocessingChoiceTests: XCTestCase {
    let grid = Grid(shape: [24, 16, 8], spacing: [1, 1, 1], affine: Affine.diagonal(spacing: [1, 1, 1], origin: [0, 0, 0]))

    /// A box of voxels [x0, x1) x [y0, y1) x [z0, z1).
    func box(_ x: Range<Int>, _ y: Range<Int>, _ z: Range<Int>) -> [(Int, Int, Int)] {
        x.flatMap { i in y.flatMap { j in z.map { k in (i, j, k) } } }
    }

    func probabilities(_ voxels: [(Int, Int, Int)]) -> Volume<Float> {
        var v = Volume<Float>(grid: grid, repeating: 0)
        for (i, j, k) in voxels { v[i, j, k] = 0.9 }
        return v
    }

    func labels(liver: [(Int, Int, Int)], lesion: [(Int, Int, Int)]) -> LabelMap {
        var l = LabelMap(grid: grid, repeating: 0)
        for (i, j, k) in liver { l[i, j, k] = 1 }
        for (i, j, k) in lesion { l[i, j, k] = 2 }
        return l
    }

    /// One case's Dice under the four variants of the predicted channels.
    func caseDice(truth: LabelMap, liver: [(Int, Int, Int)], lesion: [(Int, Int, Int)]) -> PostprocessingChoice.CaseDice {
        let p = [probabilities(liver), probabilities(lesion)]
        var maps: [PostprocessingVariant: LabelMap] = [:]
        for variant in PostprocessingVariant.allCases {
            maps[variant] = Postprocess.labels(probabilities: p, options: PostprocessOptions(
                largestLiverComponent: variant.largestLiver, lesionsInsideLiver: variant.lesionsInLiver))
        }
        return PostprocessingChoice.dice(truth: truth, predictions: maps)
    }

    func testLargestLiverKeptWhereItHelps() {
        // The predicted liver has a stray island far from the organ: removing it raises the Dice.
        let organ = box(2..<12, 2..<12, 1..<7)
        let truth = labels(liver: organ, lesion: [])
        let cases = [caseDice(truth: truth, liver: organ + box(18..<22, 2..<6, 1..<4), lesion: [])]
        let choice = PostprocessingChoice.choose(cases)
        XCTAssertTrue(choice.largestLiver)
        XCTAssertEqual(choice.meanLiverDiceWithLargestLiver ?? 0, 1, accuracy: 1e-12)
        XCTAssertLessThan(choice.meanLiverDiceWithoutLargestLiver ?? 1, 1)
        XCTAssertEqual(choice.variant, .largestLiver)
    }

    func testLargestLiverLeftOffWhereItHurts() {
        // The truth liver itself is in two parts (the left lobe cut off by the field of view): the
        // largest component drops a true part.
        let organ = box(2..<12, 2..<12, 1..<7), lobe = box(16..<22, 2..<8, 1..<5)
        let truth = labels(liver: organ + lobe, lesion: [])
        let choice = PostprocessingChoice.choose([caseDice(truth: truth, liver: organ + lobe, lesion: [])])
        XCTAssertFalse(choice.largestLiver)
        XCTAssertEqual(choice.meanLiverDiceWithoutLargestLiver ?? 0, 1, accuracy: 1e-12)
        XCTAssertLessThan(choice.meanLiverDiceWithLargestLiver ?? 1, 1)
    }

    func testLesionsInLiverKeptWhereItHelps() {
        // A lesion predicted just outside the liver (touching it, no liver probability under it)
        // is a false positive; the largest component keeps it (it touches the organ).
        let organ = box(2..<12, 2..<12, 1..<7), tumour = box(5..<8, 5..<8, 2..<5)
        let truth = labels(liver: organ, lesion: tumour)
        let choice = PostprocessingChoice.choose([caseDice(truth: truth, liver: organ, lesion: tumour + box(12..<15, 2..<6, 2..<6))])
        XCTAssertFalse(choice.largestLiver)
        XCTAssertTrue(choice.lesionsInLiver)
        XCTAssertEqual(choice.variant, .lesionsInLiver)
        XCTAssertEqual(choice.meanLesionDiceWithLesionsInLiver ?? 0, 1, accuracy: 1e-12)
        XCTAssertLessThan(choice.meanLesionDiceWithoutLesionsInLiver ?? 1, 1)
    }

    func testLesionsInLiverLeftOffWhereItHurts() {
        // A tumour bulging out of the liver's edge, where the liver channel stops: keeping lesions
        // only inside the liver cuts the true bulge off.
        let organ = box(2..<12, 2..<12, 1..<7), tumour = box(9..<15, 5..<9, 2..<5)
        let truth = labels(liver: organ, lesion: tumour)
        let choice = PostprocessingChoice.choose([caseDice(truth: truth, liver: organ, lesion: tumour)])
        XCTAssertFalse(choice.lesionsInLiver)
        XCTAssertEqual(choice.meanLesionDiceWithoutLesionsInLiver ?? 0, 1, accuracy: 1e-12)
        XCTAssertLessThan(choice.meanLesionDiceWithLesionsInLiver ?? 1, 1)
    }

    func testMeanOverCasesDecidesAndIsRecorded() throws {
        // One case helped a little, one hurt a lot: the mean decides (off), and the file says why.
        let organ = box(2..<12, 2..<12, 1..<7)
        let helped = caseDice(truth: labels(liver: organ, lesion: []), liver: organ + box(20..<21, 2..<3, 1..<2), lesion: [])
        let lobe = box(16..<22, 2..<10, 1..<7)
        let hurt = caseDice(truth: labels(liver: organ + lobe, lesion: []), liver: organ + lobe, lesion: [])
        let choice = PostprocessingChoice.choose([helped, hurt])
        XCTAssertFalse(choice.largestLiver)
        XCTAssertEqual(choice.cases, 2)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(choice)) as? [String: Any])
        XCTAssertEqual(json["largestLiver"] as? Bool, false)
        XCTAssertEqual(json["lesionsInLiver"] as? Bool, false)
        XCTAssertNotNil(json["meanLiverDiceWithLargestLiver"] as? Double)
        XCTAssertTrue((json["rule"] as? String)?.hasPrefix("nnU-Net's") == true)
    }
}
