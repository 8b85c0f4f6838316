import Foundation
import LiTSRender

/// The gnuplot charts of the evaluation report. An undefined metric (lesion Dice of a case or
/// region without a lesion in truth and prediction, NaN or nil) is never drawn as 0: it is left
/// out of the points and means and counted as "not defined" in the chart.
enum EvaluationCharts {
    static func all(_ s: EvaluationSummary) -> [GnuplotChart] {
        [dicePerRegion(s), diceProfile(s), detectionBySize(s), caseDice(s), lesionWisePerRegion(s.lesionWise)]
    }

    /// A number for a data file: NaN when missing.
    static func value(_ x: Double?, _ digits: Int) -> String {
        EvaluationReport.f(x, digits).replacingOccurrences(of: "-", with: "NaN")
    }

    /// `x` when it is a defined (finite) value.
    static func defined(_ x: Double?) -> Double? {
        guard let x, x.isFinite else { return nil }
        return x
    }

    static func number(_ x: Double?) -> String { defined(x).map { GnuplotChart.format($0) } ?? "NaN" }

    /// Mean liver and lesion Dice per region as bars, with every case's value as a point beside
    /// its bar (spread, not only the mean); "n/a" where no case defines the region's value.
    static func dicePerRegion(_ s: EvaluationSummary) -> GnuplotChart {
        let names = EvaluationSummary.regionNames
        let title = "Dice per third of the liver (superior-inferior): bars mean, points cases (n = \(s.cases.count))"
        var means: [String] = [], points: [String] = []
        var any = false
        for (n, r) in names.enumerated() {
            let liver = defined(s.region(r)?.meanLiverDice), lesion = defined(s.region(r)?.meanLesionDice)
            any = any || liver != nil || lesion != nil
            means.append("\(Double(n) - 0.2) \(number(liver)) \(Double(n) + 0.2) \(number(lesion)) \(r)")
            for (k, c) in s.cases.enumerated() {
                guard let m = c.regions.first(where: { $0.region == r }) else { continue }
                let jitter = 0.12 * (Double(k % 7) / 6 - 0.5)
                points.append("\(Double(n) - 0.2 + jitter) \(number(m.liverDice)) \(Double(n) + 0.2 + jitter) \(number(m.lesionDice))")
            }
        }
        guard any else { return .noData(name: "dice_per_region", title: title, reason: "no region has a defined Dice") }
        // gnuplot stops on a series without one defined point: such a series is left out.
        let has = { (column: Int, block: [String]) in block.contains { !$0.split(separator: " ")[column].hasPrefix("NaN") } }
        var series: [String] = []
        if has(1, means) { series.append("datafile index 0 using 1:2 with boxes lc rgb '#009E73' title 'liver (mean)'") }
        if has(3, means) { series.append("datafile index 0 using 3:4 with boxes lc rgb '#D55E00' title 'lesion (mean)'") }
        if has(1, points) { series.append("datafile index 1 using 1:2 with points pt 7 ps 0.9 lc rgb '#00604A' title 'liver, per case'") }
        if has(3, points) { series.append("datafile index 1 using 3:4 with points pt 7 ps 0.9 lc rgb '#8A3B00' title 'lesion, per case'") }
        let notDefined = names.indices.filter { defined(s.region(names[$0])?.meanLesionDice) == nil }
        if !notDefined.isEmpty { series.append("datafile index 2 using 1:2:3 with labels notitle") }
        // gnuplot (5.4) crashes on a NaN test inside `using`: where a label goes is in the data.
        let labels = names.indices.filter { defined(s.region(names[$0])?.meanLesionDice) == nil }.map { "\(Double($0) + 0.2) 0.05 \"lesion n/a\"" }
        let meanBlock: String = "# x_liver mean_liver_dice x_lesion mean_lesion_dice region\n" + means.joined(separator: "\n")
        let pointBlock: String = "# x_liver liver_dice x_lesion lesion_dice (one row per case and region)\n"
            + (points.isEmpty ? "NaN NaN NaN NaN" : points.joined(separator: "\n"))
        let labelBlock: String = "# x y label (lesion Dice not defined: no lesion in truth or prediction)\n"
            + (labels.isEmpty ? "NaN NaN \"-\"" : labels.joined(separator: "\n"))
        let data = [meanBlock, pointBlock, labelBlock].joined(separator: "\n\n\n") + "\n"
        return GnuplotChart(name: "dice_per_region", data: data, commands: [
            "set title " + GnuplotChart.quote(title), "set ylabel 'Dice'", "set yrange [0:1.1]", "set xrange [-0.6:2.6]",
            "set xtics (" + names.enumerated().map { "'\($0.element)' \($0.offset)" }.joined(separator: ", ") + ")",
            "set style fill solid 0.5", "set boxwidth 0.35", "set key top right horizontal",
            "plot " + series.joined(separator: ", "),
        ])
    }

    static func diceProfile(_ s: EvaluationSummary) -> GnuplotChart {
        let bins = s.profile.count
        let title = "Liver Dice along the liver (0 = inferior edge, 1 = superior edge), mean over \(s.cases.count) cases"
        guard s.profile.contains(where: { defined($0) != nil }) else {
            return .noData(name: "dice_profile", title: title, reason: "no slice with liver in truth or prediction")
        }
        let rows = s.profile.enumerated().map { b, d in "\((Double(b) + 0.5) / Double(bins)) \(number(d))" }
        return GnuplotChart(name: "dice_profile", data: "# position_inferior0_superior1 mean_liver_dice\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title " + GnuplotChart.quote(title),
            "set xlabel 'position along the liver'", "set ylabel 'Dice per slice'", "set yrange [0:1]", "set xrange [0:1]",
            "plot datafile using 1:2 with linespoints lw 2 lc rgb '#009E73' notitle",
        ])
    }

    /// Recall per size bucket, each bar labelled "detected/lesions"; a bucket without lesions
    /// says so instead of showing an empty (zero-looking) bar.
    static func detectionBySize(_ s: EvaluationSummary) -> GnuplotChart {
        let title = "Lesion detection (recall) by size, n = \(s.truthLesions) truth lesions"
        guard s.sizes.contains(where: { $0.lesions > 0 }) else {
            return .noData(name: "detection_by_size", title: title, reason: "no lesion in the truth")
        }
        let rows = s.sizes.enumerated().map { n, b in
            "\(n) \"\(b.label)\" \(number(b.recall)) \(b.lesions) \"\(b.lesions == 0 ? "no lesions" : "\(b.detected)/\(b.lesions)")\" \(GnuplotChart.format(defined(b.recall) ?? 0))"
        }
        return GnuplotChart(name: "detection_by_size", data: "# n bucket recall lesions label label_y\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title " + GnuplotChart.quote(title), "set ylabel 'recall'", "set yrange [0:1.1]", "set style fill solid 0.8",
            "set boxwidth 0.6", "set xrange [-0.6:\(Double(s.sizes.count) - 0.4)]",
        ] + GnuplotChart.allZeroLabel(s.sizes.map(\.recall)) + [
            "plot datafile using 1:3:xtic(2) with boxes lc rgb '#E69F00' notitle, "
                + "'' using 1:6:5 with labels offset 0,0.8 notitle",
        ])
    }

    /// Liver against lesion Dice, one point per case (labelled up to 30 cases). A case whose
    /// lesion Dice is not defined sits on its own row below the axis, not at 0.
    static func caseDice(_ s: EvaluationSummary) -> GnuplotChart {
        let liver = s.cases.map { defined($0.liver.dice) }
        let lesion = s.cases.map { c -> Double? in c.lesion.tp + c.lesion.fp + c.lesion.fn > 0 ? defined(c.lesion.dice) : nil }
        let undefinedLesion = lesion.filter { $0 == nil }.count
        let title = "Dice per case (n = \(s.cases.count))"
        guard liver.contains(where: { $0 != nil }) else {
            return .noData(name: "case_dice", title: title, reason: "no case has a defined liver Dice")
        }
        let rows = s.cases.indices.map {
            "\(number(liver[$0])) \(number(lesion[$0])) \(lesion[$0] == nil ? "-0.08" : "NaN") \(GnuplotChart.format(lesion[$0] ?? -0.08)) \(s.cases[$0].id)"
        }
        // A series without one defined point stops gnuplot: each is drawn only when it has one.
        var series: [String] = []
        if undefinedLesion < s.cases.count {
            series.append("datafile using 1:2 with points pt 7 ps 1.0 lc rgb '#0072B2' title 'cases with a lesion Dice (n = \(s.cases.count - undefinedLesion))'")
        }
        if undefinedLesion > 0 {
            series.append("datafile using 1:3 with points pt 2 ps 1.0 lc rgb '#555555' title "
                + GnuplotChart.quote("lesion Dice not defined (no lesion in truth or prediction): \(undefinedLesion) case(s)"))
        }
        if s.cases.count <= GnuplotChart.maxBarsPerCase {
            series.append("datafile using 1:4:5 with labels offset 1,0.7 font ',8' notitle")
        }
        return GnuplotChart(name: "case_dice", data: "# liver_dice lesion_dice lesion_undefined_row label_y case\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title " + GnuplotChart.quote(title), "set xlabel 'liver Dice'", "set ylabel 'lesion Dice'", "set xrange [0:1.02]",
            "set yrange [-0.15:1.05]", "set ytics 0, 0.2, 1", "set key below",
            "set arrow 1 from graph 0, first -0.02 to graph 1, first -0.02 nohead dt 3 lc rgb '#999999'",
            "plot " + series.joined(separator: ", "),
        ])
    }

    /// Lesion-wise metrics per region; a metric undefined in every region is left out, and a
    /// panel without any (no lesion on either side) says so.
    static func lesionWisePerRegion(_ w: LesionWiseSummary) -> GnuplotChart {
        let metrics: [(title: String, colour: String, value: (LesionWiseSummary.Region) -> Double?)] = [
            ("recall", "#0072B2", { $0.recall }), ("precision", "#56B4E9", { $0.precision }),
            ("PQ (panoptica)", "#E69F00", { $0.instances.pq }), ("Dice (BraTS lesion-wise)", "#D55E00", { $0.bratsDice }),
        ]
        let title = "Lesion-wise metrics per third of the liver"
        let regions = EvaluationSummary.regionNames.map { w.region($0) }
        let shown = metrics.indices.filter { m in regions.contains { $0.flatMap(metrics[m].value)?.isFinite ?? false } }
        guard !shown.isEmpty else {
            return .noData(name: "lesion_wise_per_region", title: title, reason: "no lesion in truth or prediction")
        }
        let rows = EvaluationSummary.regionNames.enumerated().map { n, r -> String in
            "\(n) \(r) " + shown.map { value(regions[n].flatMap(metrics[$0].value), 6) }.joined(separator: " ")
        }
        let series = shown.enumerated().map { column, m in
            (column == 0 ? "datafile using 3:xtic(2)" : "'' using \(column + 3)") + " title '\(metrics[m].title)' lc rgb '\(metrics[m].colour)'"
        }
        return GnuplotChart(name: "lesion_wise_per_region", data: "# n region " + shown.map { metrics[$0].title.split(separator: " ")[0].lowercased() }.joined(separator: " ") + "\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title " + GnuplotChart.quote(title), "set yrange [0:1.15]",
            "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8", "set key top right horizontal",
            "plot " + series.joined(separator: ", "),
        ])
    }
}
