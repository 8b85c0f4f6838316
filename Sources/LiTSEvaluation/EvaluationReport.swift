import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// The evaluation report: `index.md`, `data/cases.csv`, `data/regions.csv`, `data/lesions.csv`,
/// `data/evaluation.json`, gnuplot charts and worst-slice montages, written from a computed
/// `EvaluationSummary`.
public enum EvaluationReport {
    public static let emptyMaskRules = [
        "Dice and Jaccard: both masks empty -> NaN, left out of the means and counted separately; one empty -> 0.",
        "Volume overlap error = 1 - Jaccard; relative volume difference (pred - truth) / truth is NaN for an empty truth.",
        "ASSD, Hausdorff and HD95 (mm, from the spacing; medpy's definitions): missing when either mask is empty, never 0.",
        "NSD (normalized surface Dice, MONAI's compute_surface_dice): the fraction of both masks' surface voxels within the tolerance of the other surface; missing when both masks are empty, 0 when one is.",
        "Global Dice sums intersections and sizes over all cases before dividing.",
    ]

    public static var sizeBuckets: [(String, ClosedRange<Double>)] { EvaluationSummary.sizeBuckets }

    static func f(_ x: Double?, _ d: Int = 3) -> String {
        guard let x, !x.isNaN else { return "-" }
        return String(format: "%.\(d)f", x)
    }

    public static func write(_ summary: EvaluationSummary, montages: [String: RGBImage], to dir: String,
                             title: String, failed: [String: String]) throws {
        try writeCases(summary.cases, montages: montages, to: dir)
        try write(summary, montageIDs: Set(montages.keys), to: dir, title: title, failed: failed)
    }

    /// The per-case results: `data/evaluation.json` and the worst-slice montages (all a shard
    /// folder of `lits evaluate --shard` holds, with its shard.json).
    public static func writeCases(_ cases: [CaseEvaluation], montages: [String: RGBImage], to dir: String) throws {
        let folder = ReportFolder(dir)
        try folder.makeFolder("data")
        try folder.makeFolder("figures")
        try folder.writeJSON(cases, name: casesFile, encoder: JSONFile.nonFiniteEncoder())
        for (id, image) in montages { try folder.writePNG(image, name: montageFile(id)) }
    }

    /// `data/evaluation.json`: every case's metrics (NaN and infinities as strings).
    public static let casesFile = "data/evaluation.json"
    public static func montageFile(_ id: String) -> String { "figures/worst-slices-\(id).png" }


    /// The rest of the report (tables, charts, then index.md), once `writeCases`'s files are in
    /// `dir`: `montageIDs` are the cases with a montage.
    public static func write(_ summary: EvaluationSummary, montageIDs: Set<String>, to dir: String,
                             title: String, failed: [String: String]) throws {
        let folder = ReportFolder(dir)
        try folder.writeCSV(EvaluationTables.cases(summary.cases), name: "data/cases.csv")
        try folder.writeCSV(EvaluationTables.regions(summary.cases), name: "data/regions.csv")
        try folder.writeCSV(EvaluationTables.lesions(summary.cases), name: "data/lesions.csv")
        try folder.writeCSV(EvaluationTables.lesionRegions(summary.cases), name: "data/lesion-regions.csv")
        for chart in EvaluationCharts.all(summary) { try folder.render(chart) }
        try folder.writePage(page(summary, montages: montageIDs, title: title, failed: failed))
    }

    static func nsd(_ s: EvaluationSummary.Structure) -> String {
        s.nsdTolerance.map { "\(f(s.meanNSD)) (\(f($0, 2)))" } ?? "-"
    }

    static func page(_ s: EvaluationSummary, montages: Set<String>, title: String, failed: [String: String]) -> MarkdownPage {
        let cases = s.cases
        var p = MarkdownPage(title: title)
        p.paragraph("\(cases.count) case(s). Liver = label >= 1 (liver including tumor), lesion = label 2, as the LiTS challenge scores them. Regions are thirds of each case's ground-truth liver along the superior-inferior axis (canonical k, decided from the affine).")
        p.heading("Summary")
        p.table(["", "liver", "lesion"], [
            ["global Dice (sums over cases)", f(s.liver.globalDice), f(s.lesion.globalDice)],
            ["mean Dice per case", f(s.liver.meanDice), f(s.lesion.meanDice)],
            ["median Dice per case", f(s.liver.medianDice), f(s.lesion.medianDice)],
            ["cases with both masks empty", String(s.liver.bothEmpty), String(s.lesion.bothEmpty)],
            ["mean ASSD mm", f(s.liver.meanASSD, 2), f(s.lesion.meanASSD, 2)],
            ["mean Hausdorff mm", f(s.liver.meanHausdorff, 2), f(s.lesion.meanHausdorff, 2)],
            ["mean HD95 mm", f(s.liver.meanHD95, 2), f(s.lesion.meanHD95, 2)],
            ["mean NSD (tolerance mm)", nsd(s.liver), nsd(s.lesion)],
        ], alignRight: [1, 2])
        if !failed.isEmpty { p.bullets(failed.sorted { $0.key < $1.key }.map { "Case \($0.key) was not evaluated: \($0.value)" }) }
        p.heading("Per region of the liver")
        p.table(["region", "mean liver Dice", "median liver Dice", "liver FP", "liver FN", "mean lesion Dice", "lesion FP", "lesion FN"],
                s.regions.map { r in
                    [r.name, f(r.meanLiverDice), f(r.medianLiverDice), String(r.liverFP), String(r.liverFN), f(r.meanLesionDice),
                     String(r.lesionFP), String(r.lesionFN)]
                }, alignRight: Set(1...7))
        if let worst = s.worstRegion { p.paragraph("Most of the error (FP + FN voxels, liver and lesion) lies in the **\(worst)** third. \"outside\" counts predictions on slices above or below the true liver.") }
        p.image("Dice per region", path: "figures/dice_per_region.png")
        p.image("Dice along the liver", path: "figures/dice_profile.png")
        p.heading("Lesion detection")
        p.paragraph("A truth lesion (3D component of label 2, 26-connected) is detected when the predicted components overlapping it reach Dice >= 0.5 with it (or any overlap, with --any-overlap). Recall \(f(s.recall)), precision \(f(s.precision)) (predicted components overlapping a detected lesion), F1 \(f(s.f1)); \(s.detectedLesions) of \(s.truthLesions) lesions found, \(s.falsePositiveComponents) of \(s.predictedComponents) predicted components are false positives.")
        p.table(["size (equivalent diameter)", "lesions", "detected", "recall"], s.sizes.map { b in
            [b.label, String(b.lesions), String(b.detected), b.recall.map { f($0) } ?? "-"]
        }, alignRight: [1, 2, 3])
        p.image("Detection by size", path: "figures/detection_by_size.png")
        if let m = s.instances {
            p.heading("Instance metrics (panoptica)", level: 3)
            p.paragraph("Lesions as 26-connected components matched one to one at IoU > 0.5 (panoptica's NaiveThresholdMatching, strict); pooled over all cases. RQ = TP / (TP + FP/2 + FN/2), SQ = mean IoU of the matches, PQ = SQ x RQ (and with Dice for SQ).")
            p.table(["TP", "FP", "FN", "RQ (F1)", "SQ (IoU)", "PQ", "SQ (Dice)", "PQ (Dice)", "mean PQ per case"],
                    [[String(m.tp), String(m.fp), String(m.fn), f(m.rq), f(m.sq), f(m.pq), f(m.sqDice), f(m.pqDice), f(s.meanCasePQ)]],
                    alignRight: Set(0...8))
        }
        lesionWise(s.lesionWise, into: &p)
        if !s.missed.isEmpty {
            p.heading("Missed lesions (largest first)", level: 3)
            p.table(["case", "lesion", "voxels", "eq. diameter mm", "region", "Dice"], s.missed.prefix(30).map { id, l in
                [id, String(l.id), String(l.voxels), f(l.equivalentDiameterMM, 1), l.region ?? "-", f(l.dice)]
            }, alignRight: [2, 3, 5])
        }
        p.heading("Cases")
        p.table(["case", "liver Dice", "liver ASSD", "liver HD95", "lesion Dice", "lesions found", "FP components", "merges / splits",
                 "BraTS lesion Dice", "BraTS lesion HD95"], cases.map { c in
            [c.id, f(c.liver.dice), f(c.liver.assd, 2), f(c.liver.hd95, 2), f(c.lesion.dice), "\(c.lesions.filter(\.detected).count)/\(c.lesions.count)",
             String(c.falsePositiveLesionComponents), "\(c.merges ?? 0) / \(c.splits ?? 0)", f(c.brats?.dice), f(c.brats?.hd95, 2)]
        }, alignRight: Set(1...9))
        p.image("Dice per case", path: "figures/case_dice.png")
        p.heading("Worst slices")
        p.paragraph("The three axial slices with the lowest liver Dice per case: truth contour green, prediction contour white, false positive voxels orange, false negative voxels blue.")
        for c in cases where montages.contains(c.id) { p.image("Case \(c.id)", path: "figures/worst-slices-\(c.id).png") }
        p.heading("Rules for empty masks")
        p.bullets(emptyMaskRules)
        p.paragraph("Files: [data/cases.csv](data/cases.csv), [data/regions.csv](data/regions.csv), [data/lesions.csv](data/lesions.csv), [data/lesion-regions.csv](data/lesion-regions.csv), `data/evaluation.json`; charts re-plot with `cd charts && gnuplot NAME.gp`.")
        return p
    }

    /// BraTS 2023 scores, merges and splits, the detected lesions' errors, and all lesion-wise
    /// numbers per region.
    static func lesionWise(_ w: LesionWiseSummary, into p: inout MarkdownPage) {
        p.heading("Lesion-wise metrics (BraTS 2023)", level: 3)
        p.paragraph("BraTS 2023's lesion-wise scores (rachitsaluja/BraTS-2023-Metrics, BraTS-MET parameters): truth lesions (26-connected) whose masks dilated by one voxel (18-neighbourhood) touch are one lesion; a lesion is matched with every predicted component meeting its dilated mask and scored with their union; a missed lesion and a false-positive component score Dice 0 and HD95 \(f(BraTSLesionWise.maxDistance, 0)) mm (BraTS's value for an infinite distance); lesions of 2 mm3 or less are left out; a case's score is the mean over its TP + FN + FP lesions (Dice 1, HD95 0 with none). HD95 is medpy's, as everywhere in this report (BraTS uses DeepMind's surfel-weighted one).")
        p.table(["TP", "FN", "FP", "mean lesion-wise Dice per case", "mean lesion-wise HD95 per case (mm)", "pooled Dice", "pooled HD95 (mm)"],
                [[String(w.bratsTP), String(w.bratsFN), String(w.bratsFP), f(w.bratsMeanDice), f(w.bratsMeanHD95, 2),
                  f(w.bratsPooledDice), f(w.bratsPooledHD95, 2)]], alignRight: Set(0...6))
        p.paragraph("Merges (one predicted component over two or more truth lesions): \(w.merges); splits (two or more predicted components on one truth lesion): \(w.splits). Over the detected lesions, predicted - truth: volume error \(f(w.meanVolumeErrorML)) mL (mean absolute \(f(w.meanAbsVolumeErrorML)) mL), longest in-plane diameter error \(f(w.meanDiameterErrorMM, 2)) mm (mean absolute \(f(w.meanAbsDiameterErrorMM, 2)) mm); each lesion's in data/lesions.csv.")
        p.heading("Lesion-wise metrics per region of the liver", level: 3)
        p.paragraph("Truth lesions by the region of their centroid slice, predicted components by theirs (\"outside\": beyond the true liver's slices); a panoptica match counts in its truth lesion's region. Pooled over the cases.")
        p.table(["region", "lesions", "detected", "recall", "predicted", "FP components", "precision", "merges", "splits", "RQ", "PQ",
                 "BraTS TP / FN / FP", "BraTS Dice", "BraTS HD95 mm"], w.regions.map { r in
            [r.name, String(r.lesions), String(r.detected), f(r.recall), String(r.predictedComponents), String(r.falsePositiveComponents),
             f(r.precision), String(r.merges), String(r.splits), f(r.instances.rq), f(r.instances.pq),
             "\(r.bratsTP) / \(r.bratsFN) / \(r.bratsFP)", f(r.bratsDice), f(r.bratsHD95, 2)]
        }, alignRight: Set(1...13))
        if EvaluationCharts.lesionWisePerRegion(w) != nil {
            p.image("Lesion-wise metrics per region", path: "figures/lesion_wise_per_region.png")
        }
    }

    /// `--compare A B`: per-region mean Dice of two reports side by side; returns the page's text.
    public static func writeComparison(_ c: EvaluationComparison, to dir: String) throws -> String {
        var p = MarkdownPage(title: "Comparison of two evaluations")
        p.paragraph("A: `\(c.a)`  \nB: `\(c.b)`")
        p.table(["region", "liver Dice A", "liver Dice B", "B - A", "lesion Dice A", "lesion Dice B", "B - A"],
                c.rows.map { r in
                    func d(_ x: Double?, _ y: Double?) -> String { (x != nil && y != nil) ? String(format: "%+.3f", y! - x!) : "-" }
                    return [r.region, f(r.liverA), f(r.liverB), d(r.liverA, r.liverB), f(r.lesionA), f(r.lesionB), d(r.lesionA, r.lesionB)]
                }, alignRight: Set(1...6))
        try ReportFolder(dir).writePage(p)
        return p.text
    }
}
