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
        /// The cases given (`scores.cases` of them are in the scores) and what was done with a
        /// case without a usable prediction.
        public var casesGiven: Int
        public var missing: MissingPolicy
        /// Every case given, scored or not (status and reason where not from its own prediction).
        public var cases: [LiTSCaseRow]
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

    public static func write(_ s: LiTSScores, rows: [LiTSCaseRow], to dir: String, title: String, missing: MissingPolicy) throws {
        let cases = rows.compactMap(\.scores)
        let folder = ReportFolder(dir)
        try folder.makeFolder("data")
        try folder.writeText(s.scoresText, name: "data/scores.txt")
        let file = File(official: Dictionary(uniqueKeysWithValues: s.officialValues), detection: s.detection,
                        detectionAnyOverlap: s.detectionAnyOverlap, scores: s, casesGiven: rows.count, missing: missing, cases: rows)
        try folder.writeJSON(file, name: "data/lits-scores.json")
        try folder.writeCSV(casesCSV(rows), name: "data/lits-cases.csv")
        try folder.writeCSV(groupsCSV(cases), name: "data/lits-groups.csv")
        try folder.writePage(page(s, rows: rows, title: title))
    }

    /// "over N of M cases", and what happened to the others.
    static func coverage(_ s: LiTSScores, rows: [LiTSCaseRow]) -> String {
        let others = rows.filter { $0.status != .scored }
        let empty = others.filter { $0.scores != nil }.count, left = others.count - empty
        var text = "\(rows.count) case(s) given. The scores are over \(s.cases) of \(rows.count) cases"
        if empty > 0 { text += "; \(empty) without a usable prediction \(empty == 1 ? "is" : "are") scored as an empty prediction by the official rules (`--missing zero`; see the `note` column)" }
        if left > 0 { text += "; \(left) \(left == 1 ? "is" : "are") not scored and left out (listed below)" }
        return text + "."
    }

    static func page(_ s: LiTSScores, rows: [LiTSCaseRow], title: String) -> MarkdownPage {
        let cases = rows.compactMap(\.scores)
        var p = MarkdownPage(title: title)
        p.paragraph(coverage(s, rows: rows) + " Scored as the LiTS challenge's scoring program (PatrickChrist/lits-challenge-scoring, `evaluate.py`) scores them, number for number; `data/scores.txt` is its output file, `data/lits-scores.json` the same values at full precision.")
        let unscored = rows.filter { $0.scores == nil }
        if !unscored.isEmpty {
            p.paragraph("Not in the scores:")
            p.bullets(unscored.map { "Case \($0.id) (\($0.status.rawValue)): \($0.reason ?? "")" })
        }
        let scoredEmpty = rows.filter { $0.status != .scored && $0.scores != nil }
        if !scoredEmpty.isEmpty {
            p.paragraph("Scored as an empty prediction:")
            p.bullets(scoredEmpty.map { "Case \($0.id) (\($0.status.rawValue)): \($0.reason ?? "")" })
        }
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
        p.table(["case", "status", "reference lesions", "predicted lesions", "TP (> 0.5)", "TP (> 0)", "lesion Dice", "liver Dice", "tumour burden diff", "note"],
                rows.map { row in
                    guard let c = row.scores else { return [row.id, row.status.rawValue] + [String](repeating: "n/a", count: 8) }
                    let status = row.status == .scored ? "scored" : "\(row.status.rawValue), scored as empty"
                    return [c.id, status, String(c.referenceLesions), String(c.predictedLesions), String(c.detected), String(c.detectedAnyOverlap),
                            f(c.lesionDice), f(c.liverDice), f(c.tumorBurdenDifference, 4), c.notes.joined(separator: ", ")]
                }, alignRight: Set(2...8))
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

    /// Every case given: its scores (empty fields when it was not scored), its notes, status and why.
    static func casesCSV(_ rows: [LiTSCaseRow]) -> String {
        var csv = "case,reference_lesions,predicted_lesions,tp,tp_any_overlap,lesions_scored,lesion_dice,liver_dice,liver_assd_mm,liver_rmsd_mm,liver_msd_mm,tumor_burden_difference,note,status,reason\n"
        for row in rows {
            let tail = [row.status.rawValue, EvaluationTables.text(row.reason ?? "")]
            guard let c = row.scores else {
                csv += ([EvaluationTables.text(row.id)] + [String](repeating: "", count: 12) + tail).joined(separator: ",") + "\n"
                continue
            }
            csv += ([EvaluationTables.text(c.id), String(c.referenceLesions), String(c.predictedLesions), String(c.detected), String(c.detectedAnyOverlap),
                     String(c.lesionScores.count), f(c.lesionDice, 6), f(c.liverDice, 6), f(c.liverScores.assd, 4),
                     f(c.liverScores.rmsd, 4), f(c.liverScores.msd, 4), f(c.tumorBurdenDifference, 6),
                     c.notes.joined(separator: " ")] + tail).joined(separator: ",") + "\n"
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
