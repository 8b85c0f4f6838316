import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// The evaluation report: `index.md`, `data/cases.csv`, `data/regions.csv`, `data/lesions.csv`,
/// `data/evaluation.json`, gnuplot charts and worst-slice montages, written from a computed
/// `EvaluationSummary`.
public enum EvaluationReport {
    /// The one convention for metrics a case does not define, stated on the page.
    public static let undefinedConvention = "A metric that a case does not define is **not defined**: never replaced by 0, 1 or a made-up maximum. It is written as an empty field in the CSV files, `null` in `data/evaluation.json` and n/a on this page, and left out of the means, which give in brackets the number of cases they are over. This is MetricsReloaded's rule for Dice and IoU with both masks empty (NaN, \"Both reference and prediction are empty\"), applied to every metric; where MetricsReloaded or the LiTS scoring program substitute a value instead (MetricsReloaded: NSD 1 with both masks empty; LiTS: lesion Dice 1 with no lesion on either side, Dice 0 and distances 9001 where it cannot compute them), this report does not. `--protocol lits` keeps the program's values and names each in its `note` column."

    public static let emptyMaskRules = [
        "Dice and Jaccard: both masks empty -> not defined; one empty -> 0 (a real miss or a real false positive).",
        "Volume overlap error = 1 - Jaccard (not defined with both empty); relative volume difference (pred - truth) / truth is not defined for an empty truth.",
        "ASSD, Hausdorff and HD95 (mm, from the spacing; medpy's definitions): not defined when either mask is empty (an empty mask has no surface).",
        "NSD (normalized surface Dice, MONAI's compute_surface_dice): the fraction of both masks' surface voxels within the tolerance of the other surface; not defined when both masks are empty, 0 when one is.",
        "Per region: Dice not defined where neither side has the structure in that region; recall, precision and the BraTS scores not defined without lesions to count.",
        "Global Dice sums intersections and sizes over all cases before dividing.",
    ]

    public static var sizeBuckets: [(String, ClosedRange<Double>)] { EvaluationSummary.sizeBuckets }

    static func f(_ x: Double?, _ d: Int = 3) -> String {
        guard let x, !x.isNaN else { return "-" }
        return String(format: "%.\(d)f", x)
    }

    /// A number on the page: n/a when it is not defined.
    static func na(_ x: Double?, _ d: Int = 3) -> String {
        guard let x, !x.isNaN else { return "n/a" }
        return String(format: "%.\(d)f", x)
    }

    /// A mean and, in brackets, the number of cases it is over.
    static func mean(_ x: Double?, over n: Int, _ d: Int = 3) -> String { "\(na(x, d)) (\(n))" }

    public static func write(_ summary: EvaluationSummary, montages: [String: MontageFigure], to dir: String,
                             title: String, failed: [String: String] = [:], figures: FigureFormat = .png) throws {
        try writeCases(summary.rows, montages: montages, to: dir, format: figures)
        try write(summary, montageIDs: Set(montages.keys), to: dir, title: title, failed: failed, figures: figures)
    }

    /// The per-case results: `data/evaluation.json` and the worst-slice montages (all a shard
    /// folder of `lits evaluate --shard` holds, with its shard.json); montages in `format`.
    public static func writeCases(_ rows: [CaseRow], montages: [String: MontageFigure], to dir: String,
                                  format: FigureFormat = .png) throws {
        let folder = ReportFolder(dir)
        try folder.makeFolder("data")
        try folder.makeFolder("figures")
        try folder.writeData(try EvaluationJSON.encode(rows), name: casesFile)
        for (id, figure) in montages { try folder.writeMontage(figure, name: montageName(id), format: format) }
    }

    /// `data/evaluation.json`: every case's row (metrics not defined are null, infinities strings).
    public static let casesFile = "data/evaluation.json"
    /// `figures/worst-slices-ID`, without the extension of its format.
    public static func montageName(_ id: String) -> String { "figures/worst-slices-\(id)" }
    public static func montageFile(_ id: String, format: FigureFormat) -> String { "\(montageName(id)).\(format.fileExtension)" }
    /// The prefix of every worst-slice montage in `figures/`, which a new run clears (any format).
    public static let montagePrefix = "worst-slices-"


    /// The rest of the report (tables, charts, then index.md), once `writeCases`'s files are in
    /// `dir`: `montageIDs` are the cases with a montage, drawn in `montageFormat` (nil: `figures`;
    /// a merge keeps its shards' montages when told another format for the charts).
    public static func write(_ summary: EvaluationSummary, montageIDs: Set<String>, to dir: String,
                             title: String, failed: [String: String] = [:], figures: FigureFormat = .png,
                             montageFormat: FigureFormat? = nil) throws {
        let folder = ReportFolder(dir, figures: figures)
        try folder.writeCSV(EvaluationTables.cases(summary.rows), name: "data/cases.csv")
        try folder.writeCSV(EvaluationTables.regions(summary.cases), name: "data/regions.csv")
        try folder.writeCSV(EvaluationTables.lesions(summary.cases), name: "data/lesions.csv")
        try folder.writeCSV(EvaluationTables.lesionRegions(summary.cases), name: "data/lesion-regions.csv")
        for chart in EvaluationCharts.all(summary) { try folder.render(chart) }
        try folder.writePage(page(summary, montages: montageIDs, title: title, failed: failed, figures: figures,
                                  montageFormat: montageFormat ?? figures))
    }

    static func nsd(_ s: EvaluationSummary.Structure) -> String {
        s.nsdTolerance.map { "\(mean(s.meanNSD, over: s.nsdDefined)) at \(na($0, 2))" } ?? "n/a (0)"
    }

    /// "over N of M cases", and what happened to the others.
    static func coverage(_ s: EvaluationSummary) -> String {
        let others = s.notScored
        var text = "\(s.rows.count) case(s) given. The means are over \(s.cases.count) of \(s.rows.count) cases"
        let empty = others.filter { $0.evaluation != nil }.count, left = others.count - empty
        if empty > 0 { text += "; \(empty) without a usable prediction \(empty == 1 ? "is" : "are") scored as an empty prediction (`--missing zero`)" }
        if left > 0 { text += "; \(left) \(left == 1 ? "is" : "are") not scored and left out (listed below)" }
        return text + "."
    }

    /// Where the error voxels lie: every region, "outside" the true liver's slices included.
    static func errorSentence(_ s: EvaluationSummary) -> String? {
        guard let worst = s.worstRegion, let share = s.worstRegionShare else { return nil }
        let place = worst == "outside" ? "**outside** the true liver's slices (predictions above or below it)" : "in the **\(worst)** third"
        let amount = share > 0.5 ? "Most of the error" : "The largest share of the error"
        return "\(amount) (\(String(format: "%.0f", share * 100))% of the FP + FN voxels, liver and lesion) lies \(place). \"outside\" counts predictions on slices above or below the true liver."
    }

    static func page(_ s: EvaluationSummary, montages: Set<String>, title: String, failed: [String: String],
                     figures: FigureFormat = .png, montageFormat: FigureFormat? = nil) -> MarkdownPage {
        let cases = s.cases
        var p = MarkdownPage(title: title)
        p.paragraph(coverage(s) + " Liver = label >= 1 (liver including tumor), lesion = label 2, as the LiTS challenge scores them. Regions are thirds of each case's ground-truth liver along the superior-inferior axis (canonical k, decided from the affine).")
        let unscored = s.rows.filter { $0.evaluation == nil }
        if !unscored.isEmpty {
            p.paragraph("Not in the means:")
            p.bullets(unscored.map { "Case \($0.id) (\($0.status.rawValue)): \($0.reason ?? "")" })
        }
        p.heading("Summary")
        p.paragraph("Means per case give in brackets the number of cases where the metric is defined (see \"Metrics that are not defined\" below).")
        p.table(["", "liver", "lesion"], [
            ["global Dice (sums over cases)", na(s.liver.globalDice, 3), na(s.lesion.globalDice, 3)],
            ["mean Dice per case", mean(s.liver.meanDice, over: s.liver.diceDefined), mean(s.lesion.meanDice, over: s.lesion.diceDefined)],
            ["median Dice per case", na(s.liver.medianDice, 3), na(s.lesion.medianDice, 3)],
            ["cases with both masks empty (Dice not defined)", String(s.liver.bothEmpty), String(s.lesion.bothEmpty)],
            ["mean ASSD mm", mean(s.liver.meanASSD, over: s.liver.assdDefined, 2), mean(s.lesion.meanASSD, over: s.lesion.assdDefined, 2)],
            ["mean Hausdorff mm", mean(s.liver.meanHausdorff, over: s.liver.hausdorffDefined, 2), mean(s.lesion.meanHausdorff, over: s.lesion.hausdorffDefined, 2)],
            ["mean HD95 mm", mean(s.liver.meanHD95, over: s.liver.hd95Defined, 2), mean(s.lesion.meanHD95, over: s.lesion.hd95Defined, 2)],
            ["mean NSD at tolerance mm", nsd(s.liver), nsd(s.lesion)],
        ], alignRight: [1, 2])
        let scoredEmpty = s.notScored.filter { $0.evaluation != nil }
        if !scoredEmpty.isEmpty {
            p.paragraph("Scored as an empty prediction:")
            p.bullets(scoredEmpty.map { "Case \($0.id) (\($0.status.rawValue)): \($0.reason ?? "")" })
        }
        p.heading("Per region of the liver")
        p.table(["region", "mean liver Dice (cases)", "median liver Dice", "liver FP", "liver FN", "mean lesion Dice (cases)", "lesion FP", "lesion FN"],
                s.regions.map { r in
                    [r.name, mean(r.meanLiverDice, over: r.liverDiceDefined), na(r.medianLiverDice, 3), String(r.liverFP), String(r.liverFN),
                     mean(r.meanLesionDice, over: r.lesionDiceDefined), String(r.lesionFP), String(r.lesionFN)]
                }, alignRight: Set(1...7))
        if let sentence = errorSentence(s) { p.paragraph(sentence) }
        p.image("Dice per region", path: figures.figurePath("dice_per_region"))
        p.image("Dice along the liver", path: figures.figurePath("dice_profile"))
        p.heading("Lesion detection")
        p.paragraph("A truth lesion (3D component of label 2, 26-connected) is detected when the predicted components overlapping it reach Dice >= 0.5 with it (or any overlap, with --any-overlap). Recall \(na(s.recall)), precision \(na(s.precision)) (predicted components overlapping a detected lesion), F1 \(na(s.f1)); \(s.detectedLesions) of \(s.truthLesions) lesions found, \(s.falsePositiveComponents) of \(s.predictedComponents) predicted components are false positives.")
        p.table(["size (equivalent diameter)", "lesions", "detected", "recall"], s.sizes.map { b in
            [b.label, String(b.lesions), String(b.detected), na(b.recall)]
        }, alignRight: [1, 2, 3])
        p.image("Detection by size", path: figures.figurePath("detection_by_size"))
        if let m = s.instances {
            p.heading("Instance metrics (panoptica)", level: 3)
            p.paragraph("Lesions as 26-connected components matched one to one at IoU > 0.5 (panoptica's NaiveThresholdMatching, strict); pooled over all cases. RQ = TP / (TP + FP/2 + FN/2), SQ = mean IoU of the matches, PQ = SQ x RQ (and with Dice for SQ).")
            p.table(["TP", "FP", "FN", "RQ (F1)", "SQ (IoU)", "PQ", "SQ (Dice)", "PQ (Dice)", "mean PQ per case"],
                    [[String(m.tp), String(m.fp), String(m.fn), na(m.rq), na(m.sq), na(m.pq), na(m.sqDice), na(m.pqDice), na(s.meanCasePQ)]],
                    alignRight: Set(0...8))
        }
        lesionWise(s.lesionWise, into: &p, figures: figures)
        if !s.missed.isEmpty {
            p.heading("Missed lesions (largest first)", level: 3)
            p.table(["case", "lesion", "voxels", "eq. diameter mm", "region", "Dice"], s.missed.prefix(30).map { id, l in
                [id, String(l.id), String(l.voxels), na(l.equivalentDiameterMM, 1), l.region ?? "n/a", na(l.dice)]
            }, alignRight: [2, 3, 5])
        }
        p.heading("Cases")
        p.table(["case", "status", "liver Dice", "liver ASSD", "liver HD95", "lesion Dice", "lesions found", "FP components", "merges / splits",
                 "BraTS lesion Dice", "BraTS lesion HD95"], s.rows.map { row in
            guard let c = row.evaluation else { return [row.id, row.status.rawValue] + [String](repeating: "n/a", count: 9) }
            let status = row.status == .scored ? "scored" : "\(row.status.rawValue), scored as empty"
            return [c.id, status, na(c.liver.dice, 3), na(c.liver.assd, 2), na(c.liver.hd95, 2), na(c.lesion.dice, 3), "\(c.lesions.filter(\.detected).count)/\(c.lesions.count)",
                    String(c.falsePositiveLesionComponents), "\(c.merges ?? 0) / \(c.splits ?? 0)", na(c.brats?.dice, 3), na(c.brats?.hd95, 2)]
        }, alignRight: Set(2...10))
        p.image("Dice per case", path: figures.figurePath("case_dice"))
        p.heading("Worst slices")
        p.paragraph("The three axial slices with the lowest liver Dice per case: truth contour green, prediction contour white, false positive voxels orange, false negative voxels blue.")
        for c in cases where montages.contains(c.id) { p.image("Case \(c.id)", path: montageFile(c.id, format: montageFormat ?? figures)) }
        p.heading("Metrics that are not defined")
        p.paragraph(undefinedConvention)
        p.bullets(emptyMaskRules)
        p.paragraph("Files: [data/cases.csv](data/cases.csv), [data/regions.csv](data/regions.csv), [data/lesions.csv](data/lesions.csv), [data/lesion-regions.csv](data/lesion-regions.csv), `data/evaluation.json`; charts re-plot with `cd charts && gnuplot NAME.gp`.")
        return p
    }

    /// BraTS 2023 scores, merges and splits, the detected lesions' errors, and all lesion-wise
    /// numbers per region.
    static func lesionWise(_ w: LesionWiseSummary, into p: inout MarkdownPage, figures: FigureFormat = .png) {
        p.heading("Lesion-wise metrics (BraTS 2023)", level: 3)
        p.paragraph("BraTS 2023's lesion-wise scores (rachitsaluja/BraTS-2023-Metrics, BraTS-MET parameters): truth lesions (26-connected) whose masks dilated by one voxel (18-neighbourhood) touch are one lesion; a lesion is matched with every predicted component meeting its dilated mask and scored with their union; a missed lesion and a false-positive component score Dice 0 and HD95 \(na(BraTSLesionWise.maxDistance, 0)) mm (BraTS's value for an infinite distance); lesions of 2 mm3 or less are left out; a case's score is the mean over its TP + FN + FP lesions (Dice 1, HD95 0 with none). HD95 is medpy's, as everywhere in this report (BraTS uses DeepMind's surfel-weighted one).")
        p.table(["TP", "FN", "FP", "mean lesion-wise Dice per case", "mean lesion-wise HD95 per case (mm)", "pooled Dice", "pooled HD95 (mm)"],
                [[String(w.bratsTP), String(w.bratsFN), String(w.bratsFP), na(w.bratsMeanDice), na(w.bratsMeanHD95, 2),
                  na(w.bratsPooledDice), na(w.bratsPooledHD95, 2)]], alignRight: Set(0...6))
        p.paragraph("Merges (one predicted component over two or more truth lesions): \(w.merges); splits (two or more predicted components on one truth lesion): \(w.splits). Over the detected lesions, predicted - truth: volume error \(na(w.meanVolumeErrorML)) mL (mean absolute \(na(w.meanAbsVolumeErrorML)) mL), longest in-plane diameter error \(na(w.meanDiameterErrorMM, 2)) mm (mean absolute \(na(w.meanAbsDiameterErrorMM, 2)) mm); each lesion's in data/lesions.csv.")
        p.heading("Lesion-wise metrics per region of the liver", level: 3)
        p.paragraph("Truth lesions by the region of their centroid slice, predicted components by theirs (\"outside\": beyond the true liver's slices); a panoptica match counts in its truth lesion's region. Pooled over the cases.")
        p.table(["region", "lesions", "detected", "recall", "predicted", "FP components", "precision", "merges", "splits", "RQ", "PQ",
                 "BraTS TP / FN / FP", "BraTS Dice", "BraTS HD95 mm"], w.regions.map { r in
            [r.name, String(r.lesions), String(r.detected), na(r.recall), String(r.predictedComponents), String(r.falsePositiveComponents),
             na(r.precision), String(r.merges), String(r.splits), na(r.instances.rq), na(r.instances.pq),
             "\(r.bratsTP) / \(r.bratsFN) / \(r.bratsFP)", na(r.bratsDice), na(r.bratsHD95, 2)]
        }, alignRight: Set(1...13))
        p.image("Lesion-wise metrics per region", path: figures.figurePath("lesion_wise_per_region"))
    }
}

/// `data/evaluation.json`: a metric that is not defined (NaN) is written as `null`, never as a
/// number; reading maps `null` back to NaN (and to nil for optional metrics).
enum EvaluationJSON {
    static let undefined = "__not_defined__"

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: undefined)
        let text = String(decoding: try e.encode(value), as: UTF8.self)
        return Data(text.replacingOccurrences(of: "\"\(undefined)\"", with: "null").utf8)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: undefined)
        return try JSONFile.decode(type, from: nullsAsUndefined(data), path: path, decoder: d)
    }

    /// Every `null` outside a string becomes the quoted sentinel, so a Double field reads it as NaN.
    static func nullsAsUndefined(_ data: Data) -> Data {
        let bytes = [UInt8](data), null = Array("null".utf8), sentinel = Array("\"\(undefined)\"".utf8)
        var out: [UInt8] = [], inString = false, escaped = false, n = 0
        out.reserveCapacity(bytes.count)
        while n < bytes.count {
            let b = bytes[n]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == null[0], n + 4 <= bytes.count, Array(bytes[n..<(n + 4)]) == null {
                out += sentinel
                n += 4
                continue
            }
            out.append(b)
            n += 1
        }
        return Data(out)
    }
}
