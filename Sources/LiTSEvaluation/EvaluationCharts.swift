import Foundation
import LiTSRender

/// The gnuplot charts of the evaluation report.
enum EvaluationCharts {
    static func all(_ s: EvaluationSummary) -> [GnuplotChart] {
        [dicePerRegion(s), diceProfile(s), detectionBySize(s), caseDice(s), lesionWisePerRegion(s)]
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

    static func lesionWisePerRegion(_ s: EvaluationSummary) -> GnuplotChart {
        let rows = EvaluationSummary.regionNames.enumerated().map { n, r -> String in
            let g = s.lesionWise.region(r)
            return "\(n) \(r) \(value(g?.recall, 6)) \(value(g?.precision, 6)) \(value(g?.instances.pq, 6)) \(value(g?.bratsDice, 6))"
        }
        return GnuplotChart(name: "lesion_wise_per_region", data: "# n region recall precision pq brats_dice\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title 'Lesion-wise metrics per third of the liver'", "set yrange [0:1]",
            "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8", "set key top right",
            "plot datafile using 3:xtic(2) title 'recall' lc rgb '#2c7bb6', '' using 4 title 'precision' lc rgb '#abd9e9', '' using 5 title 'PQ (panoptica)' lc rgb '#fdae61', '' using 6 title 'Dice (BraTS lesion-wise)' lc rgb '#d7191c'",
        ])
    }
}
