import Foundation
import LiTSImaging
import LiTSRender

/// The EDA report's `index.md`.
enum EDAPage {
    static func f(_ x: Double?, _ digits: Int = 1) -> String {
        guard let x, x.isFinite else { return "-" }
        return String(format: "%.\(digits)f", x)
    }

    static func page(_ result: EDAResult, title: String, failed: [String: String],
                     qa: (QAReport.Summary, [QACaseFacts])? = nil, in dir: String = ".",
                     figures: FigureFormat = .png) -> MarkdownPage {
        let cases = result.cases, summary = result.summary, fingerprint = result.fingerprint, pooled = result.pooled
        var p = MarkdownPage(title: title)
        p.paragraph("Exploratory analysis of \(cases.count) case(s) by `lits eda` (LiTSKit). Liver = label >= 1 (liver including tumor), tumor = label 2, as the LiTS metrics count them. All positions use the canonical RAS+ grid, in which k runs inferior to superior; \"top\" is superior.")

        if let (summary, facts) = qa { QAReport.section(&p, summary, facts: facts, in: dir) }

        p.heading("Dataset summary")
        let fi = fingerprint.foregroundIntensity
        p.table(["", "value"], [
            ["cases (with labels)", "\(summary.cases) (\(summary.casesWithLabels))"],
            ["lesions (3D components of label 2, \(cases.first?.connectivity ?? 26)-connected)", String(summary.lesions)],
            ["median spacing (x, y, z) mm", fingerprint.medianSpacing.map { f($0, 3) }.joined(separator: ", ")],
            ["suggested target spacing mm", fingerprint.suggestedTargetSpacing.map { f($0, 3) }.joined(separator: ", ")],
            ["liver HU (all cases): mean / median / std", fi.map { "\(f($0.mean)) / \(f($0.median)) / \(f($0.std))" } ?? "-"],
            ["liver HU 0.5 and 99.5 percentiles", fi.map { "\(f($0.percentile_00_5)) .. \(f($0.percentile_99_5))" } ?? "-"],
            ["lesions under 10 mm (equivalent diameter)", summary.shareUnder10mm.map { f(100 * $0) + "%" } ?? "-"],
            ["lesions on only 1 or 2 slices", summary.shareOnOneOrTwoSlices.map { f(100 * $0) + "%" } ?? "-"],
            ["median slice thickness mm", f(summary.medianSliceThicknessMM, 2)],
        ])

        p.heading("What stands out")
        let failures = failed.sorted { $0.key < $1.key }.map { "Case \($0.key) could not be analysed: \($0.value)" }
        let items = failures + summary.highlights
        p.bullets(items.isEmpty ? ["Nothing unusual was found by the checks listed under Methods."] : items)

        p.heading("Cases")
        p.table(["case", "shape", "spacing mm", "orient", "liver mL", "tumor mL", "burden", "lesions", "liver extent", "touches border"],
                cases.map { c in
                    [c.id, c.shape.map(String.init).joined(separator: "x"), c.spacing.map { f($0, 2) }.joined(separator: ", "),
                     c.orientation, c.hasLabels ? f(c.liverML) : "no labels", c.hasLabels ? f(c.tumorML) : "-",
                     c.tumorBurden.map { f(100 * $0) + "%" } ?? "-", c.hasLabels ? String(c.lesions.count) : "-",
                     c.liverExtent.map { "\($0.slices) slices, \(f(c.liverExtentMM)) mm" } ?? "-",
                     c.liverTouches.isEmpty ? "-" : "liver: " + c.liverTouches.joined(separator: ", ")]
                }, alignRight: [4, 5, 6, 7])

        p.heading("HU per class")
        p.paragraph("Body = \(BodyMask.rule). Pooled over all cases from 1-HU histograms (exact when the HU values are whole numbers); per-case values, with exact percentiles, are in `data/cases.csv`.")
        let levels = IntensityStats.percentileLevels
        p.table(["class", "voxels", "mean", "std", "min"] + levels.map { "p\(IntensityStats.key($0))" } + ["max"],
                ["body", "liver", "tumor"].compactMap { cls in
                    guard let h = pooled[cls], let s = IntensityStats(histogram: h) else { return nil }
                    return [cls, String(s.voxels), f(s.mean), f(s.std), f(s.min)] + levels.map { f(s.percentile($0)) } + [f(s.max)]
                }, alignRight: Set(1...(5 + levels.count)))
        p.image("HU histograms of body, liver and tumor with the baseline's [-100, 400] window shaded", path: figures.figurePath("hu_histograms"))

        p.heading("Lesions")
        p.paragraph("Each lesion is a 3D connected component of label 2. Size is the diameter of the sphere of equal volume; the in-plane diameter is the longest one on any axial slice (RECIST long axis on the voxel grid). The region is the third of the case's liver extent (by slices, along the superior-inferior axis) holding the lesion's centroid.")
        let edges = DatasetSummary.sizeEdges
        p.table(["equivalent diameter", "lesions"], edges.indices.map { b in
            let lo = b == 0 ? 0 : edges[b - 1]
            return [edges[b].isFinite ? "\(f(lo, 0))-\(f(edges[b], 0)) mm" : ">= \(f(lo, 0)) mm", String(summary.lesionSizeCounts[b])]
        }, alignRight: [1])
        p.image("Lesion size histogram", path: figures.figurePath("lesion_sizes"))
        p.table(["liver region", "lesions"], LiverRegion.allCases.map { [$0.rawValue, String(summary.lesionsPerRegion[$0.rawValue] ?? 0)] }, alignRight: [1])
        p.image("Lesions per liver region", path: figures.figurePath("lesions_per_region"))

        p.heading("How 3D are the lesions?", level: 3)
        p.paragraph("The baseline's author suspected that lesions have little 3D structure. At a median slice thickness of \(f(summary.medianSliceThicknessMM, 2)) mm, \(summary.shareOnOneOrTwoSlices.map { f(100 * $0) + "%" } ?? "-") of the lesions appear on only one or two slices, and for lesions spanning at least two slices the median ratio of z-extent to largest in-plane diameter is \(f(summary.medianZToInPlaneRatio, 2)) (1 would be as deep as wide). Resampled to the baseline's 2 mm slices, an estimated \(summary.shareOnOneOrTwoSlicesAtSpacing["2.0"].map { f(100 * $0) + "%" } ?? "-") would sit on one or two slices, and at 5 mm \(summary.shareOnOneOrTwoSlicesAtSpacing["5.0"].map { f(100 * $0) + "%" } ?? "-") (a lesion counts when its z-extent is at most two slices). A lesion seen on one slice gives a 3D network no context across slices; thin slices with most lesions spanning many of them argue the other way.")
        p.table(["slices spanned"] + (1...9).map(String.init) + [">= 10"], [["lesions"] + summary.slicesSpannedCounts.map(String.init)])
        p.image("Slices spanned and z-extent against the largest in-plane diameter", path: figures.figurePath("lesion_3d"))

        let largest = cases.flatMap { c in c.lesions.map { (c.id, $0) } }.sorted { $0.1.voxels > $1.1.voxels }.prefix(10)
        if !largest.isEmpty {
            p.heading("Largest lesions", level: 3)
            p.table(["case", "lesion", "volume mL", "eq. diameter mm", "in-plane diameter mm", "slices", "region", "mean HU", "depth mm"],
                    largest.map { id, l in
                        [id, String(l.id), f(l.volumeML, 2), f(l.equivalentDiameterMM), f(l.maxInPlaneDiameterMM), String(l.slices),
                         l.region?.rawValue ?? "-", f(l.meanHU), f(l.depthMM)]
                    }, alignRight: Set(2...8))
        }

        p.heading("Tumor burden")
        p.image("Tumor burden per case", path: figures.figurePath("tumor_burden"))

        p.heading("Montages")
        p.paragraph("Liver window [-100, 400] HU, liver and tumour contours in the colour-blind-safe Okabe-Ito palette (legend in the figure), radiological convention (the patient's right on the image's left; anterior up in axial views; superior up in coronal and sagittal views; letters on each tile's edges); pixels are shown square in mm (scale bar on each tile), so the aspect ratio follows the spacing; volumes under 10 slices get no coronal or sagittal tile.")
        for c in cases {
            p.heading("Case \(c.id)", level: 3)
            if let tiles = c.montageTiles { p.paragraph("Tiles, left to right and top to bottom: " + tiles.joined(separator: "; ") + ".") }
            // The montage in whichever format it was written (a merge keeps its shards' format).
            p.image("Case \(c.id)", path: FigureFiles.existing("figures/case-\(c.id)", in: dir, preferred: figures) ?? figures.figurePath("case-\(c.id)"))
        }

        p.heading("Files")
        p.bullets([
            "[data/cases.csv](data/cases.csv): one row per case (geometry, label volumes, liver extent, HU per class with exact percentiles).",
            "[data/lesions.csv](data/lesions.csv): one row per lesion.",
            "[data/fingerprint.json](data/fingerprint.json): spacings, shapes, foreground intensity properties, suggested target spacing.",
            "[data/summary.json](data/summary.json): the dataset-level numbers above.",
            "[data/hu_histograms.csv](data/hu_histograms.csv): pooled 1-HU histograms per class.",
            "`data/cases/ID.json`: everything per case; `lits eda merge` combines shards from these.",
            "[data/qa.csv](data/qa.csv), [data/qa.json](data/qa.json): the quality-check findings (as `lits qa` writes them); `data/qa/ID.json`: what the checks measured per case.",
            "`charts/*.gp` + `*.dat`: every chart re-plots with `cd charts && gnuplot NAME.gp`.",
        ])

        p.heading("Methods")
        p.bullets([
            "Volumes are reoriented to the closest canonical orientation (RAS+) on load; k runs inferior to superior, so the liver's top third is decided by the affine, never by the raw array index.",
            "Body: \(BodyMask.rule).",
            "Percentiles use numpy's linear interpolation. Per case they are exact (1-HU histograms locate the ranks, a second pass reads the exact values). Pooled over cases they come from the merged 1-HU histograms: exact for whole-number HU, within 1 HU otherwise.",
            "Standard deviations are population values (numpy's default, ddof = 0).",
            "Lesion depth: distance from the centroid to the nearest voxel outside the liver (label >= 1), exact Euclidean distance in mm; 0 when the centroid lies outside the liver.",
            "Every mm and mL value relies on the spacing in the file header; a wrong header (or an assumed spacing, as for the PyPI sample) carries into them.",
        ])
        return p
    }
}
