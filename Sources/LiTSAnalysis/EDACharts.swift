import Foundation
import LiTSImaging
import LiTSRender

/// The gnuplot charts of the EDA report.
enum EDACharts {
    static func all(_ r: EDAResult) -> [GnuplotChart] {
        [huHistograms(r.pooled), lesionSizes(r.summary), lesion3D(r.cases), lesionsPerRegion(r.summary), tumorBurden(r.cases)]
    }

    /// Density (fraction of each class's voxels per HU) with the baseline's window shaded.
    static func huHistograms(_ pooled: [String: HUHistogram]) -> GnuplotChart {
        let classes = ["body", "liver", "tumor"].filter { (pooled[$0]?.count ?? 0) > 0 }
        let lo = -300, hi = 600
        var blocks: [String] = []
        for cls in classes {
            let h = pooled[cls]!
            let rows = (lo..<hi).map { hu -> [Double] in
                [Double(hu) + 0.5, Double(h.counts[hu - HUHistogram.lowest]) / Double(h.count)]
            }
            blocks.append("# \(cls)\n" + GnuplotChart.table(["hu", "fraction"], rows))
        }
        let colors = ["body": "#888888", "liver": "#1a9641", "tumor": "#d7191c"]
        let plots = classes.enumerated().map { n, cls in
            "datafile index \(n) using 1:2 with lines lw 2 lc rgb '\(colors[cls]!)' title \(GnuplotChart.quote(cls))"
        }
        return GnuplotChart(name: "hu_histograms", data: blocks.joined(separator: "\n\n"), commands: [
            "set title 'HU per class (1-HU bins, each class sums to 1)'",
            "set xlabel 'HU'", "set ylabel 'fraction of the class per HU'",
            "set xrange [\(lo):\(hi)]", "set key top left",
            "set object 1 rect from -100, graph 0 to 400, graph 1 fc rgb '#fff2cc' fs solid 0.6 behind",
            "set label 1 'baseline window [-100, 400]' at -95, graph 0.95",
            plots.isEmpty ? "plot 0 notitle" : "plot " + plots.joined(separator: ", \\\n     "),
        ])
    }

    static func lesionSizes(_ s: DatasetSummary) -> GnuplotChart {
        let edges = DatasetSummary.sizeEdges
        let rows = edges.indices.map { b -> String in
            let lo = b == 0 ? 0 : edges[b - 1]
            let label = edges[b].isFinite ? "\(Int(lo))-\(Int(edges[b]))" : ">=\(Int(lo))"
            return "\(b) \"\(label)\" \(s.lesionSizeCounts[b])"
        }
        return GnuplotChart(name: "lesion_sizes", data: "# bin label lesions\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title 'Lesion size (equivalent-sphere diameter)'",
            "set xlabel 'diameter (mm)'", "set ylabel 'lesions'", "set style fill solid 0.8", "set boxwidth 0.7",
            "set yrange [0:*]", "set xrange [-0.6:\(Double(edges.count) - 0.4)]",
            "plot datafile using 1:3:xtic(2) with boxes lc rgb '#d7191c' notitle",
        ])
    }

    /// Two panels: slices spanned, and z-extent, against the largest in-plane diameter.
    static func lesion3D(_ cases: [CaseEDA]) -> GnuplotChart {
        let rows = cases.flatMap(\.lesions).map { [$0.maxInPlaneDiameterMM, Double($0.slices), $0.extentMM[2]] }
        var chart = GnuplotChart(name: "lesion_3d", data: GnuplotChart.table(["inplane_mm", "slices", "z_extent_mm"], rows.isEmpty ? [[0, 0, 0]] : rows), commands: [
            "set multiplot layout 1,2 title 'How 3D are the lesions?'",
            "set xlabel 'largest in-plane diameter (mm)'", "set ylabel 'slices spanned'", "set key top left",
            "plot datafile using 1:2 with points pt 7 ps 0.6 lc rgb '#d7191c' notitle",
            "set ylabel 'z-extent (mm)'",
            "plot datafile using 1:3 with points pt 7 ps 0.6 lc rgb '#2c7bb6' notitle, x with lines dt 2 lc rgb '#555555' title 'z-extent = in-plane diameter'",
            "unset multiplot",
        ])
        chart.size = (1100, 500)
        return chart
    }

    static func lesionsPerRegion(_ s: DatasetSummary) -> GnuplotChart {
        let rows = LiverRegion.allCases.enumerated().map { "\($0.offset) \($0.element.rawValue) \(s.lesionsPerRegion[$0.element.rawValue] ?? 0)" }
        return GnuplotChart(name: "lesions_per_region", data: "# n region lesions\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title 'Lesions per third of the liver (superior-inferior)'",
            "set ylabel 'lesions'", "set style fill solid 0.8", "set boxwidth 0.6", "set yrange [0:*]", "set xrange [-0.6:2.6]",
            "plot datafile using 1:3:xtic(2) with boxes lc rgb '#fdae61' notitle",
        ])
    }

    static func tumorBurden(_ cases: [CaseEDA]) -> GnuplotChart {
        let withLiver = cases.filter { $0.tumorBurden != nil }
        let rows = withLiver.enumerated().map { "\($0.offset) \"\($0.element.id)\" \(100 * $0.element.tumorBurden!)" }
        return GnuplotChart(name: "tumor_burden", data: "# n case tumor_burden_percent\n" + (rows.isEmpty ? "0 \"-\" 0" : rows.joined(separator: "\n")) + "\n", commands: [
            "set title 'Tumor burden per case (tumor mL / liver mL)'",
            "set xlabel 'case'", "set ylabel 'tumor burden (%)'", "set style fill solid 0.8", "set boxwidth 0.7",
            "set yrange [0:*]", "set xrange [-0.6:\(Double(max(withLiver.count, 1)) - 0.4)]",
            "plot datafile using 1:3:xtic(2) with boxes lc rgb '#7b3294' notitle",
        ])
    }
}
