import Foundation
import LiTSRender

/// The `--protocol lits` report: `index.md` (the official scores, detection counts, per case),
/// `data/scores.txt` (the official program's file, three decimals), `data/lits-scores.json`
/// (the same values at full precision, the dataset sums and every case), `data/lits-cases.csv`
/// and `data/lits-groups.csv` (the matched reference groups).
public enum LiTSReport {
    /// The JSON file's content.
    public struct File: Codable, Sendable {
        /// scores.txt's names and values, full precision.
        public var official: [String: Double]
        public var detection: LiTSScores.Detection, detectionAnyOverlap: LiTSScores.Detection
        public var scores: LiTSScores
        public var cases: [LiTSCaseScores]
    }

    public static let rules = [
        "Liver = label >= 1, lesion = label 2; lesions are 6-connected components (scipy.ndimage.label's default), numbered as scipy numbers them on the stored array.",
        "Detection (the program's detect_lesions): reference lesions overlapped most by one prediction are merged into one group; each prediction joins the group it overlaps most; a group is detected when intersection / union > 0.5 (> 0 for the 'greater zero' scores). A detected group counts once, a missed one subtracts its number of lesions, so TP can be negative; FP = predicted - TP, FN = reference - TP, summed over cases.",
        "The union is taken, as the program takes it, with the detected-mask voxels carrying the number of the group's lowest prediction: the group's own predictions only when that number is the group's.",
        "Segmentation scores of the detected groups (when a case's TP > 0): Dice, Jaccard = Dice / (2 - Dice), VOE = 1 - Jaccard, RVD = (|ref| - |pred|) / |pred|, ASSD, RMSD and MSD (mm) between 18-neighbourhood surfaces; averaged over all scored groups of all cases. Liver: one entry per case.",
        "Undefined scores take the program's values: Dice 0, Jaccard 0, VOE 1, RVD/ASSD/RMSD/MSD 9001 (a prediction without label 1: liver Dice 0, tumour burden 9001).",
        "Dice per case: lesion Dice 1 when neither side has a lesion. Tumour burden difference = reference - prediction (lesion voxels / liver voxels); MAXERROR is its signed maximum.",
        "Where the program stops (a reference without lesions) nothing is detected there: every predicted lesion is a false positive. Where it divides by zero: a reference without liver has tumour burden 0; a dataset without lesion voxels has global lesion Dice 1, without liver voxels global liver Dice 0.",
    ]

    static func f(_ x: Double, _ d: Int = 3) -> String { String(format: "%.\(d)f", x) }

    public static func write(_ s: LiTSScores, cases: [LiTSCaseScores], to dir: String, title: String, failed: [String: String]) throws {
        let folder = ReportFolder(dir)
        try folder.makeFolder("data")
        try folder.writeText(s.scoresText, name: "data/scores.txt")
        let file = File(official: Dictionary(uniqueKeysWithValues: s.officialValues), detection: s.detection,
                        detectionAnyOverlap: s.detectionAnyOverlap, scores: s, cases: cases)
        try folder.writeJSON(file, name: "data/lits-scores.json")
        try folder.writeCSV(casesCSV(cases), name: "data/lits-cases.csv")
        try folder.writeCSV(groupsCSV(cases), name: "data/lits-groups.csv")
        try folder.writePage(page(s, cases: cases, title: title, failed: failed))
    }

    static func page(_ s: LiTSScores, cases: [LiTSCaseScores], title: String, failed: [String: String]) -> MarkdownPage {
        var p = MarkdownPage(title: title)
        p.paragraph("\(s.cases) case(s) scored as the LiTS challenge's scoring program (PatrickChrist/lits-challenge-scoring, `evaluate.py`) scores them, number for number; `data/scores.txt` is its output file, `data/lits-scores.json` the same values at full precision.")
        if !failed.isEmpty { p.bullets(failed.sorted { $0.key < $1.key }.map { "Case \($0.key) was not scored: \($0.value)" }) }
        p.heading("Lesion detection")
        p.table(["overlap (IoU)", "TP", "FP", "FN", "precision", "recall"], [
            ["> 0.5", String(s.detection.tp), String(s.detection.fp), String(s.detection.fn), f(s.detection.precision), f(s.detection.recall)],
            ["> 0", String(s.detectionAnyOverlap.tp), String(s.detectionAnyOverlap.fp), String(s.detectionAnyOverlap.fn),
             f(s.detectionAnyOverlap.precision), f(s.detectionAnyOverlap.recall)],
        ], alignRight: Set(1...5))
        p.heading("Segmentation")
        let names = ["Dice", "Jaccard", "VOE", "RVD", "ASSD mm", "RMSD mm", "MSD mm"]
        p.table(["", "lesion (\(s.lesionsScored) detected)", "liver"],
                zip(names, zip(s.lesion.named, s.liver.named)).map { [$0.0, f($0.1.0.1), f($0.1.1.1)] }
                + [["Dice per case", f(s.lesionDicePerCase), f(s.liverDicePerCase)],
                   ["global Dice", f(s.lesionDiceGlobal), f(s.liverDiceGlobal)]], alignRight: [1, 2])
        p.heading("Tumour burden")
        p.table(["RMSE", "max error (signed)"], [[f(s.tumorBurdenRMSE), f(s.tumorBurdenMax)]], alignRight: [0, 1])
        p.heading("Cases")
        p.table(["case", "reference lesions", "predicted lesions", "TP (> 0.5)", "TP (> 0)", "lesion Dice", "liver Dice", "tumour burden diff", "note"],
                cases.map { c in
                    [c.id, String(c.referenceLesions), String(c.predictedLesions), String(c.detected), String(c.detectedAnyOverlap),
                     f(c.lesionDice), f(c.liverDice), f(c.tumorBurdenDifference, 4), c.notes.joined(separator: ", ")]
                }, alignRight: Set(1...7))
        let used = Set(cases.flatMap(\.notes))
        if !used.isEmpty {
            p.paragraph("The `note` column names each official special value that applies to a case (its number is the program's rule, not a measurement):")
            p.bullets(LiTSCaseScores.specialRules.filter { used.contains($0.name) }.map { "`\($0.name)`: \($0.rule)" })
        }
        p.heading("Rules")
        p.bullets(rules)
        p.paragraph("Files: [data/scores.txt](data/scores.txt), [data/lits-cases.csv](data/lits-cases.csv), [data/lits-groups.csv](data/lits-groups.csv), `data/lits-scores.json`.")
        return p
    }

    static func casesCSV(_ cases: [LiTSCaseScores]) -> String {
        var csv = "case,reference_lesions,predicted_lesions,tp,tp_any_overlap,lesions_scored,lesion_dice,liver_dice,liver_assd_mm,liver_rmsd_mm,liver_msd_mm,tumor_burden_difference,note\n"
        for c in cases {
            csv += [c.id, String(c.referenceLesions), String(c.predictedLesions), String(c.detected), String(c.detectedAnyOverlap),
                    String(c.lesionScores.count), f(c.lesionDice, 6), f(c.liverDice, 6), f(c.liverScores.assd, 4),
                    f(c.liverScores.rmsd, 4), f(c.liverScores.msd, 4), f(c.tumorBurdenDifference, 6),
                    c.notes.joined(separator: " ")].joined(separator: ",") + "\n"
        }
        return csv
    }

    static func groupsCSV(_ cases: [LiTSCaseScores]) -> String {
        var csv = "case,group,reference_lesions,predicted_lesions,intersection,official_union,official_iou,iou,detected\n"
        for c in cases { for g in c.groups {
            csv += [c.id, String(g.id), g.references.map(String.init).joined(separator: " "), g.predictions.map(String.init).joined(separator: " "),
                    String(g.intersection), String(g.officialUnion), f(Double(g.intersection) / Double(g.officialUnion), 6),
                    f(Double(g.intersection) / Double(g.predictionVoxels + g.referenceVoxels - g.intersection), 6),
                    g.detected ? "yes" : "no"].joined(separator: ",") + "\n"
        } }
        return csv
    }
}
