import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// The evaluation report: `index.md`, `data/cases.csv`, `data/regions.csv`, `data/lesions.csv`,
/// `data/evaluation.json`, gnuplot charts and worst-slice montages.
public enum EvaluationReport {
    public static let emptyMaskRules = [
        "Dice and Jaccard: both masks empty -> NaN, left out of the means and counted separately; one empty -> 0.",
        "Volume overlap error = 1 - Jaccard; relative volume difference (pred - truth) / truth is NaN for an empty truth.",
        "ASSD, Hausdorff and HD95 (mm, from the spacing; medpy's definitions): missing when either mask is empty, never 0.",
        "Global Dice sums intersections and sizes over all cases before dividing.",
    ]

    static func nanMean(_ xs: [Double]) -> Double? {
        let v = xs.filter { !$0.isNaN }
        return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
    }

    static func median(_ xs: [Double]) -> Double? {
        let v = xs.filter { !$0.isNaN }.sorted()
        guard !v.isEmpty else { return nil }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }

    static func f(_ x: Double?, _ d: Int = 3) -> String {
        guard let x, !x.isNaN else { return "-" }
        return String(format: "%.\(d)f", x)
    }

    public static let sizeBuckets: [(String, ClosedRange<Double>)] = [("< 10 mm", 0...9.999_999), ("10-20 mm", 10...20), ("> 20 mm", 20.000_001...1e9)]

    public static func write(_ cases: [CaseEvaluation], montages: [String: RGBImage], to dir: String,
                             title: String, failed: [String: String]) async throws {
        let fm = FileManager.default
        for sub in ["data", "figures"] { try fm.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try encoder.encode(cases), to: "\(dir)/data/evaluation.json")
        for (id, image) in montages { try PNG.write(image, to: "\(dir)/figures/worst-slices-\(id).png") }

        var casesCSV = "case,liver_dice,liver_jaccard,liver_voe,liver_rvd,liver_assd_mm,liver_hd_mm,liver_hd95_mm,liver_tp,liver_fp,liver_fn,lesion_dice,lesion_jaccard,lesion_voe,lesion_rvd,lesion_assd_mm,lesion_hd_mm,lesion_hd95_mm,lesion_tp,lesion_fp,lesion_fn,truth_lesions,detected_lesions,predicted_lesion_components,false_positive_components\n"
        func row(_ m: StructureMetrics) -> [String] {
            [f(m.dice, 6), f(m.jaccard, 6), f(m.volumeOverlapError, 6), f(m.relativeVolumeDifference, 6), f(m.assd, 4), f(m.hausdorff, 4), f(m.hd95, 4),
             String(m.tp), String(m.fp), String(m.fn)]
        }
        for c in cases {
            casesCSV += ([c.id] + row(c.liver) + row(c.lesion) + [String(c.lesions.count), String(c.lesions.filter(\.detected).count),
                                                                   String(c.predictedLesionComponents), String(c.falsePositiveLesionComponents)]).joined(separator: ",") + "\n"
        }
        try AtomicFile.write(casesCSV, to: "\(dir)/data/cases.csv")
        var regionsCSV = "case,region,liver_dice,liver_fp,liver_fn,lesion_dice,lesion_fp,lesion_fn\n"
        for c in cases { for r in c.regions {
            regionsCSV += [c.id, r.region, f(r.liverDice, 6), String(r.liverFP), String(r.liverFN), f(r.lesionDice, 6), String(r.lesionFP), String(r.lesionFN)].joined(separator: ",") + "\n"
        } }
        try AtomicFile.write(regionsCSV, to: "\(dir)/data/regions.csv")
        var lesionsCSV = "case,lesion,voxels,equivalent_diameter_mm,region,detected,dice\n"
        for c in cases { for l in c.lesions {
            lesionsCSV += [c.id, String(l.id), String(l.voxels), f(l.equivalentDiameterMM, 3), l.region ?? "", l.detected ? "yes" : "no", f(l.dice, 4)].joined(separator: ",") + "\n"
        } }
        try AtomicFile.write(lesionsCSV, to: "\(dir)/data/lesions.csv")

        let regions = ["top", "middle", "bottom"]
        func regionMean(_ r: String, _ key: KeyPath<RegionMetrics, Double>) -> Double? { nanMean(cases.flatMap { $0.regions.filter { $0.region == r }.map { $0[keyPath: key] } }) }
        func regionSum(_ r: String, _ key: KeyPath<RegionMetrics, Int>) -> Int { cases.flatMap { $0.regions.filter { $0.region == r } }.reduce(0) { $0 + $1[keyPath: key] } }
        let allLesions = cases.flatMap(\.lesions)
        let profileBins = 20
        var profile = [[Double]](repeating: [], count: profileBins)
        for c in cases {
            for (n, d) in c.liverSliceDice.enumerated() where !d.isNaN {
                let pos = (Double(n) + 0.5) / Double(c.liverSliceDice.count)
                profile[min(profileBins - 1, Int(pos * Double(profileBins)))].append(d)
            }
        }

        // Charts.
        let regionRows = regions.enumerated().map { "\($0.offset) \($0.element) \(f(regionMean($0.element, \.liverDice), 6).replacingOccurrences(of: "-", with: "NaN")) \(f(regionMean($0.element, \.lesionDice), 6).replacingOccurrences(of: "-", with: "NaN"))" }
        try await GnuplotChart(name: "dice_per_region", data: "# n region liver lesion\n" + regionRows.joined(separator: "\n") + "\n", commands: [
            "set title 'Mean Dice per third of the liver (superior-inferior)'", "set ylabel 'Dice'", "set yrange [0:1]",
            "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8", "set key top right",
            "plot datafile using 3:xtic(2) title 'liver' lc rgb '#1a9641', '' using 4 title 'lesion' lc rgb '#d7191c'",
        ]).render(in: dir)
        let profileRows = (0..<profileBins).map { b in "\((Double(b) + 0.5) / Double(profileBins)) \(nanMean(profile[b]).map { String($0) } ?? "NaN")" }
        try await GnuplotChart(name: "dice_profile", data: "# position_inferior0_superior1 mean_liver_dice\n" + profileRows.joined(separator: "\n") + "\n", commands: [
            "set title 'Liver Dice along the liver (0 = inferior edge, 1 = superior edge), mean over cases'",
            "set xlabel 'position along the liver'", "set ylabel 'Dice per slice'", "set yrange [0:1]", "set xrange [0:1]",
            "plot datafile using 1:2 with linespoints lw 2 lc rgb '#1a9641' notitle",
        ]).render(in: dir)
        let sizeRows = sizeBuckets.enumerated().map { n, b -> String in
            let inBucket = allLesions.filter { b.1.contains($0.equivalentDiameterMM) }
            let recall = inBucket.isEmpty ? "NaN" : String(Double(inBucket.filter(\.detected).count) / Double(inBucket.count))
            return "\(n) \"\(b.0)\" \(recall) \(inBucket.count)"
        }
        try await GnuplotChart(name: "detection_by_size", data: "# n bucket recall lesions\n" + sizeRows.joined(separator: "\n") + "\n", commands: [
            "set title 'Lesion detection (recall) by size'", "set ylabel 'recall'", "set yrange [0:1]", "set style fill solid 0.8",
            "set boxwidth 0.6", "set xrange [-0.6:2.6]", "plot datafile using 1:3:xtic(2) with boxes lc rgb '#fdae61' notitle",
        ]).render(in: dir)
        let scatterRows = cases.map { "\(f($0.liver.dice, 6).replacingOccurrences(of: "-", with: "NaN")) \(f($0.lesion.dice, 6).replacingOccurrences(of: "-", with: "NaN")) \($0.id)" }
        try await GnuplotChart(name: "case_dice", data: "# liver_dice lesion_dice case\n" + scatterRows.joined(separator: "\n") + "\n", commands: [
            "set title 'Dice per case'", "set xlabel 'liver Dice'", "set ylabel 'lesion Dice'", "set xrange [0:1]", "set yrange [0:1]",
            "plot datafile using 1:2 with points pt 7 ps 1.2 lc rgb '#2c7bb6' notitle, '' using 1:2:3 with labels offset 1,1 notitle",
        ]).render(in: dir)

        // Page.
        func sum(_ cs: [StructureMetrics]) -> Double? {
            let tp = cs.reduce(0) { $0 + $1.tp }, fp = cs.reduce(0) { $0 + $1.fp }, fn = cs.reduce(0) { $0 + $1.fn }
            return 2 * tp + fp + fn == 0 ? nil : 2 * Double(tp) / Double(2 * tp + fp + fn)
        }
        var p = MarkdownPage(title: title)
        p.paragraph("\(cases.count) case(s). Liver = label >= 1 (liver including tumor), lesion = label 2, as the LiTS challenge scores them. Regions are thirds of each case's ground-truth liver along the superior-inferior axis (canonical k, decided from the affine).")
        p.heading("Summary")
        let detected = allLesions.filter(\.detected).count
        let predComponents = cases.reduce(0) { $0 + $1.predictedLesionComponents }, fpComponents = cases.reduce(0) { $0 + $1.falsePositiveLesionComponents }
        let recall = allLesions.isEmpty ? nil : Double(detected) / Double(allLesions.count)
        let precision = predComponents == 0 ? nil : Double(predComponents - fpComponents) / Double(predComponents)
        let f1 = (recall != nil && precision != nil && recall! + precision! > 0) ? 2 * recall! * precision! / (recall! + precision!) : nil
        p.table(["", "liver", "lesion"], [
            ["global Dice (sums over cases)", f(sum(cases.map(\.liver))), f(sum(cases.map(\.lesion)))],
            ["mean Dice per case", f(nanMean(cases.map(\.liver.dice))), f(nanMean(cases.map(\.lesion.dice)))],
            ["median Dice per case", f(median(cases.map(\.liver.dice))), f(median(cases.map(\.lesion.dice)))],
            ["cases with both masks empty", String(cases.filter { $0.liver.dice.isNaN }.count), String(cases.filter { $0.lesion.dice.isNaN }.count)],
            ["mean ASSD mm", f(nanMean(cases.compactMap(\.liver.assd)), 2), f(nanMean(cases.compactMap(\.lesion.assd)), 2)],
            ["mean Hausdorff mm", f(nanMean(cases.compactMap(\.liver.hausdorff)), 2), f(nanMean(cases.compactMap(\.lesion.hausdorff)), 2)],
            ["mean HD95 mm", f(nanMean(cases.compactMap(\.liver.hd95)), 2), f(nanMean(cases.compactMap(\.lesion.hd95)), 2)],
        ], alignRight: [1, 2])
        if !failed.isEmpty { p.bullets(failed.sorted { $0.key < $1.key }.map { "Case \($0.key) was not evaluated: \($0.value)" }) }
        p.heading("Per region of the liver")
        let errors = regions.map { ($0, regionSum($0, \.liverFP) + regionSum($0, \.liverFN) + regionSum($0, \.lesionFP) + regionSum($0, \.lesionFN)) }
        let worst = errors.max { $0.1 < $1.1 }
        p.table(["region", "mean liver Dice", "median liver Dice", "liver FP", "liver FN", "mean lesion Dice", "lesion FP", "lesion FN"],
                (regions + ["outside"]).map { r in
                    [r, f(regionMean(r, \.liverDice)), f(median(cases.flatMap { $0.regions.filter { $0.region == r }.map(\.liverDice) })),
                     String(regionSum(r, \.liverFP)), String(regionSum(r, \.liverFN)), f(regionMean(r, \.lesionDice)),
                     String(regionSum(r, \.lesionFP)), String(regionSum(r, \.lesionFN))]
                }, alignRight: Set(1...7))
        if let worst, worst.1 > 0 { p.paragraph("Most of the error (FP + FN voxels, liver and lesion) lies in the **\(worst.0)** third. \"outside\" counts predictions on slices above or below the true liver.") }
        p.image("Dice per region", path: "figures/dice_per_region.png")
        p.image("Dice along the liver", path: "figures/dice_profile.png")
        p.heading("Lesion detection")
        p.paragraph("A truth lesion (3D component of label 2, 26-connected) is detected when the predicted components overlapping it reach Dice >= 0.5 with it (or any overlap, with --any-overlap). Recall \(f(recall)), precision \(f(precision)) (predicted components overlapping a detected lesion), F1 \(f(f1)); \(detected) of \(allLesions.count) lesions found, \(fpComponents) of \(predComponents) predicted components are false positives.")
        p.table(["size (equivalent diameter)", "lesions", "detected", "recall"], sizeBuckets.map { b in
            let inBucket = allLesions.filter { b.1.contains($0.equivalentDiameterMM) }
            return [b.0, String(inBucket.count), String(inBucket.filter(\.detected).count), inBucket.isEmpty ? "-" : f(Double(inBucket.filter(\.detected).count) / Double(inBucket.count))]
        }, alignRight: [1, 2, 3])
        p.image("Detection by size", path: "figures/detection_by_size.png")
        let missed = cases.flatMap { c in c.lesions.filter { !$0.detected }.map { (c.id, $0) } }.sorted { $0.1.voxels > $1.1.voxels }
        if !missed.isEmpty {
            p.heading("Missed lesions (largest first)", level: 3)
            p.table(["case", "lesion", "voxels", "eq. diameter mm", "region", "Dice"], missed.prefix(30).map { id, l in
                [id, String(l.id), String(l.voxels), f(l.equivalentDiameterMM, 1), l.region ?? "-", f(l.dice)]
            }, alignRight: [2, 3, 5])
        }
        p.heading("Cases")
        p.table(["case", "liver Dice", "liver ASSD", "liver HD95", "lesion Dice", "lesions found", "FP components"], cases.map { c in
            [c.id, f(c.liver.dice), f(c.liver.assd, 2), f(c.liver.hd95, 2), f(c.lesion.dice), "\(c.lesions.filter(\.detected).count)/\(c.lesions.count)", String(c.falsePositiveLesionComponents)]
        }, alignRight: [1, 2, 3, 4, 5, 6])
        p.image("Dice per case", path: "figures/case_dice.png")
        p.heading("Worst slices")
        p.paragraph("The three axial slices with the lowest liver Dice per case: truth contour green, prediction contour white, false positive voxels orange, false negative voxels blue.")
        for c in cases where montages[c.id] != nil { p.image("Case \(c.id)", path: "figures/worst-slices-\(c.id).png") }
        p.heading("Rules for empty masks")
        p.bullets(emptyMaskRules)
        p.paragraph("Files: [data/cases.csv](data/cases.csv), [data/regions.csv](data/regions.csv), [data/lesions.csv](data/lesions.csv), `data/evaluation.json`; charts re-plot with `cd charts && gnuplot NAME.gp`.")
        try p.write(to: "\(dir)/index.md")
    }

    /// Worst liver slices with truth and prediction contours and FP/FN colours.
    public static func worstSlices(ct: Volume<Float>, truth: LabelMap, prediction: LabelMap, evaluation: CaseEvaluation, count: Int = 3) -> RGBImage? {
        guard let extent = evaluation.liverExtent else { return nil }
        let ranked = evaluation.liverSliceDice.enumerated().filter { !$0.element.isNaN }.sorted { $0.element < $1.element }.prefix(count)
        guard !ranked.isEmpty else { return nil }
        let tiles: [RGBImage] = ranked.map { n, _ in
            let k = extent.kMin + n
            let view = SliceView(ct, plane: .axial, index: k)
            let (w, h) = view.displaySize(minSide: 256)
            var image = view.gray(low: HUWindow.liver.low, high: HUWindow.liver.high).resized(width: w, height: h)
            let t = SliceView(truth, plane: .axial, index: k), pr = SliceView(prediction, plane: .axial, index: k)
            func big(_ m: [Bool]) -> [Bool] { Overlay.resize(m, width: t.width, height: t.height, toWidth: w, height: h) }
            let tl = t.values.map { $0 >= 1 }, pl = pr.values.map { $0 >= 1 }
            Overlay.fill(on: &image, mask: big(zip(pl, tl).map { $0 && !$1 }), color: .falsePositive, alpha: 0.5)
            Overlay.fill(on: &image, mask: big(zip(pl, tl).map { !$0 && $1 }), color: .falseNegative, alpha: 0.5)
            Overlay.drawContour(on: &image, mask: big(tl), color: .liverGreen)
            Overlay.drawContour(on: &image, mask: big(pl), color: .white)
            return image
        }
        return Montage.grid(tiles, columns: count)
    }

    /// `--compare A B`: per-region mean Dice of two reports side by side.
    public static func compare(_ a: String, _ b: String, to dir: String) throws -> String {
        func regionMeans(_ report: String) throws -> [String: (Double?, Double?)] {
            guard let text = try? String(contentsOfFile: "\(report)/data/regions.csv", encoding: .utf8) else {
                throw LiTSError(.notFound, path: report, "not an evaluation report (no data/regions.csv)")
            }
            var acc: [String: ([Double], [Double])] = [:]
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard f.count >= 8 else { continue }
                acc[f[1], default: ([], [])].0.append(Double(f[2]) ?? .nan)
                acc[f[1], default: ([], [])].1.append(Double(f[5]) ?? .nan)
            }
            return acc.mapValues { (nanMean($0.0), nanMean($0.1)) }
        }
        let ra = try regionMeans(a), rb = try regionMeans(b)
        var p = MarkdownPage(title: "Comparison of two evaluations")
        p.paragraph("A: `\(a)`  \nB: `\(b)`")
        p.table(["region", "liver Dice A", "liver Dice B", "B - A", "lesion Dice A", "lesion Dice B", "B - A"],
                ["top", "middle", "bottom", "outside"].filter { ra[$0] != nil || rb[$0] != nil }.map { r in
                    let (la, ta) = ra[r] ?? (nil, nil), (lb, tb) = rb[r] ?? (nil, nil)
                    func d(_ x: Double?, _ y: Double?) -> String { (x != nil && y != nil) ? String(format: "%+.3f", y! - x!) : "-" }
                    return [r, f(la), f(lb), d(la, lb), f(ta), f(tb), d(ta, tb)]
                }, alignRight: Set(1...6))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try p.write(to: "\(dir)/index.md")
        return p.text
    }
}
