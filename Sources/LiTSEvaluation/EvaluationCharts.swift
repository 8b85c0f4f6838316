import Foundation
import LiTSRender

/// The gnuplot charts of the evaluation report.
enum EvaluationCharts {
    static func all(_ s: EvaluationSummary) -> [GnuplotChart] {
        [dicePerRegion(s), diceProfile(s), detectionBySize(s), caseDice(s)] + (lesionWisePerRegion(s.lesionWise).map { [$0] } ?? [])
    }

    /// A number for a data file: NaN when missing.
    static func value(_ x: Double?, _ digits: Int) -> String {
        EvaluationReport.f(x, digits).replacingOccurrences(of: "-", with: "NaN")
    }

    static func dicePerRegion(_ s: EvaluationSummary) -> GnuplotChart {
        let rows = EvaluationSummary.regionNames.enumerated().map { n, r in
            "\(n) \(r) \(value(s.region(r)?.meanLiverDice, 6)) \(value(s.region(r)?.meanLesionDice, 6))"
        }
        return GnuplotChart(name: "dice_per_region", data: "# n region liver lesion\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title 'Mean Dice per third of the liver (superior-inferior)'", "set ylabel 'Dice'", "set yrange [0:1]",
            "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8", "set key top right",
            "plot datafile using 3:xtic(2) title 'liver' lc rgb '#1a9641', '' using 4 title 'lesion' lc rgb '#d7191c'",
        ])
    }

    static func diceProfile(_ s: EvaluationSummary) -> GnuplotChart {
        let bins = s.profile.count
        let rows = s.profile.enumerated().map { b, d in "\((Double(b) + 0.5) / Double(bins)) \(d.map { String($0) } ?? "NaN")" }
        return GnuplotChart(name: "dice_profile", data: "# position_inferior0_superior1 mean_liver_dice\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title 'Liver Dice along the liver (0 = inferior edge, 1 = superior edge), mean over cases'",
            "set xlabel 'position along the liver'", "set ylabel 'Dice per slice'", "set yrange [0:1]", "set xrange [0:1]",
            "plot datafile using 1:2 with linespoints lw 2 lc rgb '#1a9641' notitle",
        ])
    }

    static func detectionBySize(_ s: EvaluationSummary) -> GnuplotChart {
        let rows = s.sizes.enumerated().map { n, b in "\(n) \"\(b.label)\" \(b.recall.map { String($0) } ?? "NaN") \(b.lesions)" }
        return GnuplotChart(name: "detection_by_size", data: "# n bucket recall lesions\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title 'Lesion detection (recall) by size'", "set ylabel 'recall'", "set yrange [0:1]", "set style fill solid 0.8",
            "set boxwidth 0.6", "set xrange [-0.6:2.6]", "plot datafile using 1:3:xtic(2) with boxes lc rgb '#fdae61' notitle",
        ])
    }

    static func caseDice(_ s: EvaluationSummary) -> GnuplotChart {
        let rows = s.cases.map { "\(value($0.liver.dice, 6)) \(value($0.lesion.dice, 6)) \($0.id)" }
        return GnuplotChart(name: "case_dice", data: "# liver_dice lesion_dice case\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title 'Dice per case'", "set xlabel 'liver Dice'", "set ylabel 'lesion Dice'", "set xrange [0:1]", "set yrange [0:1]",
            "plot datafile using 1:2 with points pt 7 ps 1.2 lc rgb '#2c7bb6' notitle, '' using 1:2:3 with labels offset 1,1 notitle",
        ])
    }

    /// Nil when no region has a lesion-wise value (no lesion on either side): gnuplot refuses a
    /// histogram without a valid point. A metric undefined in every region is left out.
    static func lesionWisePerRegion(_ w: LesionWiseSummary) -> GnuplotChart? {
        let metrics: [(title: String, colour: String, value: (LesionWiseSummary.Region) -> Double?)] = [
            ("recall", "#2c7bb6", { $0.recall }), ("precision", "#abd9e9", { $0.precision }),
            ("PQ (panoptica)", "#fdae61", { $0.instances.pq }), ("Dice (BraTS lesion-wise)", "#d7191c", { $0.bratsDice }),
        ]
        let regions = EvaluationSummary.regionNames.map { w.region($0) }
        let shown = metrics.indices.filter { m in regions.contains { $0.flatMap(metrics[m].value)?.isFinite ?? false } }
        guard !shown.isEmpty else { return nil }
        let rows = EvaluationSummary.regionNames.enumerated().map { n, r -> String in
            "\(n) \(r) " + shown.map { value(regions[n].flatMap(metrics[$0].value), 6) }.joined(separator: " ")
        }
        let series = shown.enumerated().map { column, m in
            (column == 0 ? "datafile using 3:xtic(2)" : "'' using \(column + 3)") + " title '\(metrics[m].title)' lc rgb '\(metrics[m].colour)'"
        }
        return GnuplotChart(name: "lesion_wise_per_region", data: "# n region " + shown.map { metrics[$0].title.split(separator: " ")[0].lowercased() }.joined(separator: " ") + "\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title 'Lesion-wise metrics per third of the liver'", "set yrange [0:1]",
            "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8", "set key top right",
            "plot " + series.joined(separator: ", "),
        ])
    }
}
