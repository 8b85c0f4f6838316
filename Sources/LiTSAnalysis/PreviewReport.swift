import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// The `lits preview` folder: `montage-WINDOW.png`, `slices/WINDOW-METHOD-kK.png`,
/// `data/metrics.csv`, a chart and `index.md`, written from a computed `PreviewResult`.
public enum PreviewReport {
    public static func write(_ r: PreviewResult, options: PreviewOptions, to dir: String, figures: FigureFormat = .png) throws {
        let folder = ReportFolder(dir, figures: figures)
        try folder.makeFolder("slices")
        for (name, image) in r.singleSlices { try folder.writePNG(image, name: "slices/\(name).png") }
        for (window, figure) in r.montages { try folder.writeMontage(figure, name: "montage-\(window)", format: figures) }
        try folder.writeCSV(metricsCSV(r, options: options), name: "data/metrics.csv")
        if let first = options.windows.first, let m = r.metrics[first.name], !m.isEmpty {
            try folder.render(chart(m, window: first.name))
        }
        try folder.writePage(page(r, options: options, figures: figures))
    }

    static func metricsCSV(_ r: PreviewResult, options: PreviewOptions) -> String {
        var csv = "window,method,liver_tumor_contrast,slice_consistency,liver_mean,tumor_mean\n"
        for (name, _) in options.windows {
            for m in r.metrics[name] ?? [] {
                csv += [name, m.method, CSV.number(m.liverTumorContrast, 4), CSV.number(m.sliceConsistency, 5),
                        CSV.number(m.liverMean, 4), CSV.number(m.tumorMean, 4)].joined(separator: ",") + "\n"
            }
        }
        return csv
    }

    static func chart(_ m: [EnhancementMetrics], window: String) -> GnuplotChart {
        let rows = m.enumerated().map { "\($0.offset) \($0.element.method) \(CSV.number($0.element.liverTumorContrast, 4).isEmpty ? "NaN" : CSV.number($0.element.liverTumorContrast, 4)) \(CSV.number($0.element.sliceConsistency, 5).isEmpty ? "NaN" : CSV.number($0.element.sliceConsistency, 5))" }
        var c = GnuplotChart(name: "enhancement_metrics", data: "# n method contrast consistency\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set multiplot layout 1,2 title " + GnuplotChart.quote("Enhancement methods, \(window) window"),
            "set style fill solid 0.8", "set boxwidth 0.6",
        ] + panel(column: 3, title: "liver-tumor contrast (higher is better)", color: "#009E73", methods: m.count,
                  values: m.map(\.liverTumorContrast), missing: "no tumor (or liver) in the labels")
          + panel(column: 4, title: "std of liver mean across slices (lower is better)", color: "#0072B2", methods: m.count,
                  values: m.map(\.sliceConsistency), missing: "liver on fewer than two slices")
          + ["unset multiplot"])
        c.size = (1100, 480)
        return c
    }

    /// One bar panel of `column`, each bar labelled with its value; where no method has a value
    /// (a case without tumor has no contrast) the panel says "no data" and why
    /// (`GnuplotChart.noDataPanel`), as gnuplot refuses to plot only undefined values.
    static func panel(column: Int, title: String, color: String, methods: Int, values: [Double?], missing: String) -> [String] {
        guard values.contains(where: { $0 != nil }) else { return GnuplotChart.noDataPanel(title: title, reason: missing) }
        return ["set title " + GnuplotChart.quote(title), "set yrange [0:*]", "set offsets 0, 0, graph 0.12, 0",
                "set xrange [-0.6:\(Double(methods) - 0.4)]", "set xtics rotate by -30"]
            + GnuplotChart.allZeroLabel(values) + [
                "plot datafile using 1:\(column):xtic(2) with boxes lc rgb '\(color)' notitle, '' using 1:\(column):\(column) with labels offset 0,0.7 font ',9' notitle",
                "unset label 91"]
    }

    static func page(_ r: PreviewResult, options: PreviewOptions, figures: FigureFormat = .png) -> MarkdownPage {
        let slices = r.slices, metrics = r.metrics
        var p = MarkdownPage(title: "Windowing and enhancement preview: case \(r.caseID)")
        let chosen = options.slices != nil ? "by the user"
            : r.hasLabels ? "evenly over the liver, top first, plus the slice with the most tumor" : "evenly over the volume, top first (the case has no labels)"
        p.paragraph("Axial slices \(slices.map(String.init).joined(separator: ", ")) (canonical k, inferior to superior; chosen \(chosen)). Radiological convention: the patient's right on the image's left, anterior up (letters on each tile's edges; scale bar in mm)." + (options.contours && r.hasLabels ? " Liver and tumour contours in the Okabe-Ito palette (legend in the figure)." : ""))
        p.heading("Rows of each montage")
        p.bullets(options.methods.enumerated().map { "Row \($0.offset + 1), `\($0.element.rawValue)`: \($0.element.explanation)." })
        let e = options.enhancement
        p.paragraph("Histogram equalization uses \(e.bins) bins and the CDF interpolated linearly between bin centres (scikit-image's `equalize_hist`; the baseline used 32 bins). CLAHE: kernel \(e.claheKernel.map { "\($0[0])x\($0[1])" } ?? "1/8 of the slice") pixels, clip limit \(e.claheClipLimit), \(e.claheBins) bins, as scikit-image's `equalize_adapthist` defines them.")
        for (name, w) in options.windows {
            p.heading("Window \(name) [\(Int(w.low)), \(Int(w.high))] HU")
            p.image("Montage, \(name) window: one row per method, one column per slice", path: "montage-\(name).\(figures.fileExtension)")
            if let m = metrics[name] {
                p.table(["method", "liver-tumor contrast", "slice-to-slice std of liver mean", "liver mean", "tumor mean"],
                        m.map { [$0.method, CSV.number($0.liverTumorContrast, 3), CSV.number($0.sliceConsistency, 4),
                                 CSV.number($0.liverMean, 3), CSV.number($0.tumorMean, 3)] }, alignRight: [1, 2, 3, 4])
            }
        }
        if !metrics.isEmpty {
            p.image("Contrast and consistency per method", path: figures.figurePath("enhancement_metrics"))
            p.paragraph("Contrast: |mean(liver) - mean(tumor)| / sqrt((var(liver) + var(tumor)) / 2) over every voxel of the case after enhancement (liver = label 1, tumor = label 2), so it is independent of the output scale. Consistency: the standard deviation, across the axial slices that hold liver, of the mean liver intensity; per-slice methods that rescale neighbouring slices differently raise it.")
        }
        if metrics.isEmpty {
            p.paragraph("No liver-tumour contrast or consistency chart: the case has no labels to measure them on.")
        }
        p.paragraph("Full-resolution single slices are in `slices/` (WINDOW-METHOD-kK.png); the numbers are in [data/metrics.csv](data/metrics.csv).")
        return p
    }
}
