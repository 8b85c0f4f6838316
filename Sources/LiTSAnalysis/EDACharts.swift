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
        let title = "HU per class (1-HU bins, each class sums to 1)"
        guard !classes.isEmpty else { return .noData(name: "hu_histograms", title: title, reason: "no voxels in any class") }
        let lo = -300, hi = 600
        var blocks: [String] = []
        for cls in classes {
            let h = pooled[cls]!
            let rows = (lo..<hi).map { hu -> [Double] in
                [Double(hu) + 0.5, Double(h.counts[hu - HUHistogram.lowest]) / Double(h.count)]
            }
            blocks.append("# \(cls)\n" + GnuplotChart.table(["hu", "fraction"], rows))
        }
        let colors = ["body": "#888888", "liver": "#009E73", "tumor": "#D55E00"]
        let plots = classes.enumerated().map { n, cls in
            "datafile index \(n) using 1:2 with lines lw 2 lc rgb '\(colors[cls]!)' title \(GnuplotChart.quote(cls))"
        }
        return GnuplotChart(name: "hu_histograms", data: blocks.joined(separator: "\n\n"), commands: [
            "set title " + GnuplotChart.quote(title),
            "set xlabel 'HU'", "set ylabel 'fraction of the class per HU'",
            "set xrange [\(lo):\(hi)]", "set key top left",
            "set object 1 rect from -100, graph 0 to 400, graph 1 fc rgb '#fff2cc' fs solid 0.6 behind",
            "set label 1 'baseline window [-100, 400]' at -95, graph 0.95",
            "plot " + plots.joined(separator: ", \\\n     "),
        ])
    }

    static func lesionSizes(_ s: DatasetSummary) -> GnuplotChart {
        let edges = DatasetSummary.sizeEdges
        let total = s.lesionSizeCounts.reduce(0, +)
        let title = "Lesion size (equivalent-sphere diameter), n = \(total) lesions"
        guard total > 0 else { return .noData(name: "lesion_sizes", title: title, reason: "no lesion in the labels") }
        let rows = edges.indices.map { b -> String in
            let lo = b == 0 ? 0 : edges[b - 1]
            let label = edges[b].isFinite ? "\(Int(lo))-\(Int(edges[b]))" : ">=\(Int(lo))"
            return "\(b) \"\(label)\" \(s.lesionSizeCounts[b])"
        }
        return GnuplotChart(name: "lesion_sizes", data: "# bin label lesions\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title " + GnuplotChart.quote(title),
            "set xlabel 'diameter (mm)'", "set ylabel 'lesions'", "set style fill solid 0.8", "set boxwidth 0.7",
            "set yrange [0:*]", "set offsets 0, 0, graph 0.1, 0", "set xrange [-0.6:\(Double(edges.count) - 0.4)]",
            "plot datafile using 1:3:xtic(2) with boxes lc rgb '#D55E00' notitle, '' using 1:3:3 with labels offset 0,0.7 notitle",
        ])
    }

    /// Two panels: slices spanned, and z-extent, against the largest in-plane diameter.
    static func lesion3D(_ cases: [CaseEDA]) -> GnuplotChart {
        let rows = cases.flatMap(\.lesions).map { [$0.maxInPlaneDiameterMM, Double($0.slices), $0.extentMM[2]] }
        let title = "How 3D are the lesions? (n = \(rows.count) lesions)"
        let panels: [String]
        if rows.isEmpty {
            panels = GnuplotChart.noDataPanel(title: "slices spanned", reason: "no lesion in the labels")
                + GnuplotChart.noDataPanel(title: "z-extent", reason: "no lesion in the labels")
        } else {
            panels = [
                "set xlabel 'largest in-plane diameter (mm)'", "set ylabel 'slices spanned'", "set key top left",
                "plot datafile using 1:2 with points pt 7 ps 0.6 lc rgb '#D55E00' notitle",
                "set ylabel 'z-extent (mm)'",
                "plot datafile using 1:3 with points pt 7 ps 0.6 lc rgb '#0072B2' notitle, x with lines dt 2 lc rgb '#555555' title 'z-extent = in-plane diameter'",
            ]
        }
        var chart = GnuplotChart(name: "lesion_3d", data: GnuplotChart.table(["inplane_mm", "slices", "z_extent_mm"], rows),
                                 commands: ["set multiplot layout 1,2 title " + GnuplotChart.quote(title)] + panels + ["unset multiplot"])
        chart.size = (1100, 500)
        return chart
    }

    static func lesionsPerRegion(_ s: DatasetSummary) -> GnuplotChart {
        let counts = LiverRegion.allCases.map { s.lesionsPerRegion[$0.rawValue] ?? 0 }
        let title = "Lesions per third of the liver (superior-inferior), n = \(counts.reduce(0, +)) lesions"
        guard counts.contains(where: { $0 > 0 }) else {
            return .noData(name: "lesions_per_region", title: title, reason: "no lesion in the labels")
        }
        let rows = LiverRegion.allCases.enumerated().map { "\($0.offset) \($0.element.rawValue) \(counts[$0.offset])" }
        return GnuplotChart(name: "lesions_per_region", data: "# n region lesions\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title " + GnuplotChart.quote(title),
            "set ylabel 'lesions'", "set style fill solid 0.8", "set boxwidth 0.6", "set yrange [0:*]", "set offsets 0, 0, graph 0.1, 0",
            "set xrange [-0.6:2.6]",
            "plot datafile using 1:3:xtic(2) with boxes lc rgb '#E69F00' notitle, '' using 1:3:3 with labels offset 0,0.7 notitle",
        ])
    }

    /// One bar per case up to `GnuplotChart.maxBarsPerCase` cases, a histogram of the cases
    /// beyond; the mean is drawn on both.
    static func tumorBurden(_ cases: [CaseEDA]) -> GnuplotChart {
        tumorBurden(withLiver: cases.compactMap { c in c.tumorBurden.map { (c.id, $0) } })
    }

    /// `withLiver`: the cases with liver, and their tumor burden as a fraction.
    static func tumorBurden(withLiver: [(id: String, burden: Double)]) -> GnuplotChart {
        let burdens = withLiver.map { 100 * $0.burden }
        let mean = burdens.isEmpty ? 0 : burdens.reduce(0, +) / Double(burdens.count)
        let title = "Tumor burden per case (tumor mL / liver mL), n = \(burdens.count) cases with liver"
        guard !burdens.isEmpty else { return .noData(name: "tumor_burden", title: title, reason: "no case has liver in its labels") }
        let meanTitle = GnuplotChart.quote(String(format: "mean %.2f%%", mean))
        if withLiver.count > GnuplotChart.maxBarsPerCase { return tumorBurdenHistogram(burdens, title: title, mean: mean, meanTitle: meanTitle) }
        let rows = withLiver.enumerated().map { "\($0.offset) \"\($0.element.id)\" \(GnuplotChart.format(burdens[$0.offset]))" }
        return GnuplotChart(name: "tumor_burden", data: "# n case tumor_burden_percent\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title " + GnuplotChart.quote(title),
            "set xlabel 'case'", "set ylabel 'tumor burden (%)'", "set style fill solid 0.8", "set boxwidth 0.7",
            "set yrange [0:*]", "set xrange [-0.6:\(Double(withLiver.count) - 0.4)]", "set key top right",
        ] + GnuplotChart.allZeroLabel(burdens) + [
            "plot datafile using 1:3:xtic(2) with boxes lc rgb '#CC79A7' notitle, \(mean) with lines dt 2 lw 2 lc rgb '#333333' title \(meanTitle)",
        ])
    }

    static func tumorBurdenHistogram(_ burdens: [Double], title: String, mean: Double, meanTitle: String) -> GnuplotChart {
        let top = max(burdens.max() ?? 0, 1e-9)
        let bins = GnuplotChart.histogram(burdens, range: 0...top, bins: 20)
        let width = top / 20
        let rows = bins.map { "\(GnuplotChart.format($0.centre)) \($0.count)" }
        return GnuplotChart(name: "tumor_burden", data: "# bin_centre_percent cases\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set title " + GnuplotChart.quote(title),
            "set xlabel 'tumor burden (%)'", "set ylabel 'cases'", "set style fill solid 0.8", "set boxwidth \(GnuplotChart.format(width * 0.9))",
            "set yrange [0:*]", "set offsets 0, 0, graph 0.1, 0", "set xrange [0:\(GnuplotChart.format(top))]", "set key top right",
            "set arrow 1 from \(mean), graph 0 to \(mean), graph 1 nohead dt 2 lw 2 lc rgb '#333333'",
            "plot datafile using 1:2 with boxes lc rgb '#CC79A7' notitle, '' using 1:($2 > 0 ? $2 : NaN):2 with labels offset 0,0.7 notitle, "
                + "NaN with lines dt 2 lw 2 lc rgb '#333333' title \(meanTitle)",
        ])
    }
}
