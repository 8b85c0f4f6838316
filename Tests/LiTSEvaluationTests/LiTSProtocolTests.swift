import Foundation
import XCTest
import LiTSCore
@testable import LiTSEvaluation

/// `--protocol lits` against the official LiTS scoring program, run by
/// scripts/lits_scoring_fixtures.py on the crafted cases in Fixtures/lits_protocol (and on a real
/// case when /work/shared/data/lits117 is there): counts equal, scores to 1e-9, distances to 1e-6 mm.
final class LiTSProtocolTests: XCTestCase {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("lits_protocol")
    static let distances: Set<String> = ["assd", "rmsd", "msd"]

    func official(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func score(_ id: String) throws -> LiTSCaseScores {
        let (truth, _) = try NIfTIReader.readLabels(path: Self.folder.appendingPathComponent("ref/\(id).nii").path)
        let (pred, _) = try NIfTIReader.readLabels(path: Self.folder.appendingPathComponent("res/\(id).nii").path)
        return LiTSCaseScores(id: id, truth: truth.voxels, prediction: pred.voxels, shape: truth.shape, spacing: truth.grid.spacing)
    }

    func tolerance(_ metric: String) -> Double { Self.distances.contains(metric) ? 1e-6 : 1e-9 }

    /// One case against the program run on that case alone; returns the largest differences
    /// (scores, distances).
    @discardableResult
    func check(_ ours: LiTSCaseScores, _ theirs: [String: Any], file: StaticString = #filePath, line: UInt = #line) -> (Double, Double) {
        let id = ours.id
        XCTAssertEqual(ours.detectedAnyOverlap, theirs["tp0"] as? Int, "\(id) TP at 0", file: file, line: line)
        XCTAssertEqual(ours.predictedLesions - ours.detectedAnyOverlap, theirs["fp0"] as? Int, "\(id) FP at 0", file: file, line: line)
        XCTAssertEqual(ours.referenceLesions - ours.detectedAnyOverlap, theirs["fn0"] as? Int, "\(id) FN at 0", file: file, line: line)
        XCTAssertEqual(ours.detected, theirs["tp"] as? Int, "\(id) TP", file: file, line: line)
        XCTAssertEqual(ours.predictedLesions - ours.detected, theirs["fp"] as? Int, "\(id) FP", file: file, line: line)
        XCTAssertEqual(ours.referenceLesions - ours.detected, theirs["fn"] as? Int, "\(id) FN", file: file, line: line)
        for key in ["lesion_I", "lesion_S", "liver_I", "liver_S"] {
            let value = [ours.lesionIntersection, ours.lesionSizeSum, ours.liverIntersection, ours.liverSizeSum][["lesion_I", "lesion_S", "liver_I", "liver_S"].firstIndex(of: key)!]
            XCTAssertEqual(value, theirs[key] as? Int, "\(id) \(key)", file: file, line: line)
        }
        var worst = (0.0, 0.0)
        func close(_ a: Double, _ b: Double, _ metric: String, _ what: String) {
            let d = abs(a - b)
            if Self.distances.contains(metric) { worst.1 = max(worst.1, d) } else { worst.0 = max(worst.0, d) }
            XCTAssertLessThanOrEqual(d, tolerance(metric), "\(id) \(what): ours \(a), official \(b)", file: file, line: line)
        }
        close(ours.lesionDice, theirs["lesion_dice"] as! Double, "dice", "lesion Dice")
        close(ours.liverDice, theirs["liver_dice"] as! Double, "dice", "liver Dice")
        close(ours.tumorBurdenDifference, theirs["tumor_burden"] as! Double, "burden", "tumour burden")
        let lesion = theirs["lesion_scores"] as! [String: [Double]], liver = theirs["liver_scores"] as! [String: [Double]]
        XCTAssertEqual(ours.lesionScores.count, lesion["dice"]?.count ?? 0, "\(id) scored lesions", file: file, line: line)
        for (n, s) in ours.lesionScores.enumerated() where n < (lesion["dice"]?.count ?? 0) {
            for (metric, value) in s.named { close(value, lesion[metric]![n], metric, "lesion \(n) \(metric)") }
        }
        XCTAssertEqual(liver["dice"]?.count, 1, file: file, line: line)
        for (metric, value) in ours.liverScores.named { close(value, liver[metric]![0], metric, "liver \(metric)") }
        return worst
    }

    func checkDataset(_ scores: LiTSScores, _ theirs: [String: Any], file: StaticString = #filePath, line: UInt = #line) {
        let detection = theirs["lesion_detection_metrics"] as! [String: Double]
        let lesion = theirs["lesion_segmentation_metrics"] as! [String: Double]
        let liver = theirs["liver_segmentation_metrics"] as! [String: Double]
        var expected: [String: Double] = ["RMSE_Tumorburden": theirs["tumor_burden_rmse"] as! Double,
                                          "MAXERROR_Tumorburden": theirs["tumor_burden_max"] as! Double]
        for (k, v) in detection { expected["lesion_" + k] = v }
        for (k, v) in lesion { expected["lesion_" + k] = v }
        for (k, v) in liver { expected["liver_" + k] = v }
        XCTAssertEqual(scores.officialValues.count, expected.count, file: file, line: line)
        for (name, value) in scores.officialValues {
            let metric = String(name.split(separator: "_").last!)
            guard let e = expected[name] else { XCTFail("no official \(name)", file: file, line: line); continue }
            XCTAssertEqual(value, e, accuracy: Self.distances.contains(metric) ? 1e-6 : 1e-9, name, file: file, line: line)
        }
        XCTAssertEqual(scores.scoresText, theirs["scores_txt"] as? String, "scores.txt", file: file, line: line)
    }

    func testCraftedCasesEqualTheOfficialProgram() throws {
        let doc = try official("official.json")
        let cases = doc["cases"] as! [String: [String: Any]]
        XCTAssertEqual(cases.count, 11)
        var results: [LiTSCaseScores] = []
        var worst = (0.0, 0.0)
        for id in cases.keys.sorted() {
            let ours = try score(id)
            let w = check(ours, cases[id]!)
            worst = (max(worst.0, w.0), max(worst.1, w.1))
            results.append(ours)
        }
        print("crafted cases: largest differences \(worst.0) (scores), \(worst.1) mm (distances)")
        checkDataset(LiTSScores(results), doc["dataset"] as! [String: Any])
    }

    /// The cases that exercise the official rule's corners, spelled out.
    func testQuirksOfTheOfficialMatching() throws {
        // A prediction spanning two reference lesions well: one group of two, detected, counts 1.
        let merged = try score("case-02")
        XCTAssertEqual(merged.groups.map(\.references), [[1, 2]])
        XCTAssertEqual([merged.detected, merged.referenceLesions], [1, 2])
        // Spanning them badly: the missed group of two costs 2, the clean lesion earns 1.
        let missed = try score("case-03")
        XCTAssertEqual(missed.detected, 0)
        XCTAssertEqual(missed.groups.filter { !$0.detected }.map(\.references.count), [2])
        // A false positive numbered 1 first: the union of group 1 is taken with the detected-mask
        // voxels labelled 2 (another group's), and the case ends with a negative TP.
        let quirk = try score("case-10")
        XCTAssertEqual(quirk.detected, -1)
        let g = quirk.groups.first { $0.predictions == [2] }!
        XCTAssertEqual(g.id, 1)
        XCTAssertEqual([g.intersection, g.predictionVoxels, g.referenceVoxels, g.officialUnion], [48, 64, 64, 100])
        XCTAssertFalse(g.detected, "true IoU 48 / 80 = 0.6, but 48 / 100 by the official union")
        // No reference lesion (where the official program stops): nothing detected, all FP.
        let noReference = try score("case-06")
        XCTAssertEqual([noReference.detected, noReference.detectedAnyOverlap, noReference.predictedLesions, noReference.referenceLesions], [0, 0, 1, 0])
        XCTAssertEqual(noReference.lesionDice, 0)
        // Neither side has a lesion: lesion Dice 1, nothing to count.
        let neither = try score("case-08")
        XCTAssertEqual(neither.lesionDice, 1)
        XCTAssertEqual(neither.lesionSizeSum, 0)
        // No label 1 in the prediction: liver Dice 0, the defaults, tumour burden against 9001.
        let noLiver = try score("case-09")
        XCTAssertEqual(noLiver.liverDice, 0)
        XCTAssertEqual(noLiver.liverScores, .undefined)
        XCTAssertEqual(noLiver.tumorBurdenDifference, Double(4 * 4 * 4) / Double(20 * 16 * 10) - 9001, accuracy: 1e-12)
    }

    /// Where the official program divides by zero: a dataset without any lesion voxel and a
    /// reference without liver.
    func testNaturalResultsWhereTheOfficialProgramFails() {
        let empty = [UInt8](repeating: 0, count: 4 * 4 * 4)
        var liverOnly = empty
        for n in 0..<8 { liverOnly[n] = 1 }
        let a = LiTSCaseScores(id: "a", truth: liverOnly, prediction: liverOnly, shape: [4, 4, 4], spacing: [1, 1, 1])
        let s = LiTSScores([a])
        XCTAssertEqual(s.lesionDiceGlobal, 1)
        XCTAssertEqual(s.lesion, .undefined)
        XCTAssertEqual(s.lesionsScored, 0)
        XCTAssertEqual(s.liverDiceGlobal, 1)
        XCTAssertEqual(s.detection.precision, 0)
        let b = LiTSCaseScores(id: "b", truth: empty, prediction: liverOnly, shape: [4, 4, 4], spacing: [1, 1, 1])
        XCTAssertEqual(b.tumorBurdenDifference, 0)
        XCTAssertEqual(b.liverScores, .undefined)
        XCTAssertEqual(b.liverDice, 0)
        let c = LiTSCaseScores(id: "c", truth: empty, prediction: empty, shape: [4, 4, 4], spacing: [1, 1, 1])
        XCTAssertEqual(LiTSScores([c]).liverDiceGlobal, 0)
    }

    func testRealCaseWithAPerturbedPredictionEqualsTheOfficialProgram() throws {
        let path = "/work/shared/data/lits117/segmentation-117.nii.gz"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is not here") }
        let doc = try official("official_real.json")
        let (truth, _) = try NIfTIReader.readLabels(path: path)
        let s = truth.shape
        XCTAssertEqual(s, doc["shape"] as? [Int])
        // The script's perturbation: shifted by (+2, +1, 0), lesion -> liver on slices k % 5 == 0.
        var pred = [UInt8](repeating: 0, count: truth.voxels.count)
        for k in 0..<s[2] { for j in 1..<s[1] { for i in 2..<s[0] {
            var v = truth.voxels[(i - 2) + s[0] * ((j - 1) + s[1] * k)]
            if v == 2 && k % 5 == 0 { v = 1 }
            pred[i + s[0] * (j + s[1] * k)] = v
        } } }
        let ours = LiTSCaseScores(id: "117", truth: truth.voxels, prediction: pred, shape: s, spacing: truth.grid.spacing)
        let worst = check(ours, doc["case"] as! [String: Any])
        print("real case: largest differences \(worst.0) (scores), \(worst.1) mm (distances)")
        XCTAssertGreaterThan(ours.lesionScores.count, 5)
        checkDataset(LiTSScores([ours]), doc["dataset"] as! [String: Any])
    }
}
