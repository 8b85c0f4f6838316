import Foundation

/// The dataset scores of the LiTS scoring program (`evaluate.py`), from its per-case results,
/// and its `scores.txt`.
///
/// - Detection: TP, FP, FN summed over cases (FP = predicted - detected, FN = reference -
///   detected) at thresholds 0 and 0.5; precision TP / (TP + FP), recall TP / (TP + FN), 0 when
///   the denominator is 0.
/// - Lesion segmentation: the mean of each score over all detected lesions of all cases (the
///   defaults 0, 0, 1, 9001... when none was scored); Dice per case averaged; global Dice
///   2 sum(I) / sum(S).
/// - Liver segmentation: the mean over cases (a case without label 1 counts with the defaults).
/// - Tumour burden: the root mean square of the per-case differences and their (signed) maximum.
/// Where the program divides by zero, a global Dice with nothing on either side anywhere is 1
/// for lesions (the per-case rule) and 0 for the liver.
public struct LiTSScores: Codable, Equatable, Sendable {
    public struct Detection: Codable, Equatable, Sendable {
        public var tp: Int, fp: Int, fn: Int
        public var precision: Double { tp + fp == 0 ? 0 : Double(tp) / Double(tp + fp) }
        public var recall: Double { tp + fn == 0 ? 0 : Double(tp) / Double(tp + fn) }
    }

    public var cases: Int
    /// At threshold 0.5 (the challenge's) and 0 (any overlap).
    public var detection: Detection, detectionAnyOverlap: Detection
    public var lesion: LiTSSegmentationScores
    public var lesionsScored: Int
    public var lesionDicePerCase: Double, lesionDiceGlobal: Double
    public var liver: LiTSSegmentationScores
    public var liverDicePerCase: Double, liverDiceGlobal: Double
    public var tumorBurdenRMSE: Double, tumorBurdenMax: Double

    public init(_ results: [LiTSCaseScores]) {
        precondition(!results.isEmpty, "no cases to score")
        cases = results.count
        func sum(_ k: KeyPath<LiTSCaseScores, Int>) -> Int { results.reduce(0) { $0 + $1[keyPath: k] } }
        func mean(_ k: KeyPath<LiTSCaseScores, Double>) -> Double { results.reduce(0) { $0 + $1[keyPath: k] } / Double(results.count) }
        let predicted = sum(\.predictedLesions), reference = sum(\.referenceLesions)
        let tp = sum(\.detected), tp0 = sum(\.detectedAnyOverlap)
        detection = Detection(tp: tp, fp: predicted - tp, fn: reference - tp)
        detectionAnyOverlap = Detection(tp: tp0, fp: predicted - tp0, fn: reference - tp0)
        let lesions = results.flatMap(\.lesionScores)
        lesionsScored = lesions.count
        lesion = LiTSSegmentationScores.mean(lesions) ?? .undefined
        lesionDicePerCase = mean(\.lesionDice)
        let lesionS = sum(\.lesionSizeSum), liverS = sum(\.liverSizeSum)
        lesionDiceGlobal = lesionS == 0 ? 1 : 2 * Double(sum(\.lesionIntersection)) / Double(lesionS)
        liver = LiTSSegmentationScores.mean(results.map(\.liverScores))!
        liverDicePerCase = mean(\.liverDice)
        liverDiceGlobal = liverS == 0 ? 0 : 2 * Double(sum(\.liverIntersection)) / Double(liverS)
        let burden = results.map(\.tumorBurdenDifference)
        tumorBurdenRMSE = (burden.reduce(0) { $0 + $1 * $1 } / Double(burden.count)).squareRoot()
        tumorBurdenMax = burden.max()!
    }

    /// The official `scores.txt` lines, names and order, as (name, value).
    public var officialValues: [(String, Double)] {
        var rows: [(String, Double)] = [
            ("lesion_precision", detection.precision), ("lesion_recall", detection.recall),
            ("lesion_precision_greater_zero", detectionAnyOverlap.precision), ("lesion_recall_greater_zero", detectionAnyOverlap.recall),
        ]
        rows += lesion.named.map { ("lesion_" + $0.0, $0.1) }
        rows += [("lesion_dice_per_case", lesionDicePerCase), ("lesion_dice_global", lesionDiceGlobal)]
        rows += liver.named.map { ("liver_" + $0.0, $0.1) }
        rows += [("liver_dice_per_case", liverDicePerCase), ("liver_dice_global", liverDiceGlobal)]
        rows += [("RMSE_Tumorburden", tumorBurdenRMSE), ("MAXERROR_Tumorburden", tumorBurdenMax)]
        return rows
    }

    /// `scores.txt` as the program writes it (Python's `{:.3f}`, which rounds like C's `%.3f`).
    public var scoresText: String {
        officialValues.map { String(format: "%@: %.3f\n", $0.0, $0.1) }.joined()
    }
}
