import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// `lits preview`: the same slices through every window and enhancement method, side by side,
/// with the numbers that let a user choose (liver-tumor contrast, slice-to-slice consistency).
public struct PreviewOptions: Sendable {
    public var windows: [(name: String, window: HUWindow)] = [("liver", .liver)]
    public var methods: [EnhancementMethod] = EnhancementMethod.allCases
    /// Canonical axial slice indices; nil = automatic (evenly over the liver plus the most tumor).
    public var slices: [Int]?
    public var autoSliceCount = 5
    public var enhancement = EnhancementOptions()
    public var contours = true
    public var tileSide = 200

    public init() {}

    public static let presets: [(name: String, window: HUWindow)] = [
        ("liver", .liver), ("abdomen", .abdomen), ("soft-tissue", .softTissue), ("bone", .bone),
    ]
}

public enum PreviewReport {
    /// Evenly spaced over the liver (top first), plus the slice with the most tumor.
    public static func autoSlices(_ c: LoadedCase, count: Int) -> [Int] {
        CaseMontage.tiles(for: c, axialCount: count).filter { $0.plane == .axial }.map(\.index)
    }

    /// Writes montages, single slices, metrics, a chart and `index.md` into `dir`; returns the metrics.
    @discardableResult
    public static func write(_ c: LoadedCase, options: PreviewOptions, to dir: String) async throws -> [String: [EnhancementMetrics]] {
        let slices = options.slices ?? autoSlices(c, count: options.autoSliceCount)
        for k in slices where !(0..<c.ct.shape[2]).contains(k) {
            throw LiTSError(.invalidArgument, path: c.info.volumePath, "slice \(k) is outside 0..<\(c.ct.shape[2]) (canonical axial slices)")
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: "\(dir)/slices", withIntermediateDirectories: true)
        let body = options.methods.contains(.volumeBody) ? BodyMask.compute(c.ct) : nil
        let labels = options.contours ? c.labels : nil
        var metrics: [String: [EnhancementMetrics]] = [:]
        for (name, window) in options.windows {
            var rows: [RGBImage] = []
            for method in options.methods {
                let enhanced = Enhancement.apply(method, to: c.ct, window: window, options: options.enhancement, body: body)
                if let l = c.labels { metrics[name, default: []].append(EnhancementMetrics.measure(method, enhanced: enhanced, labels: l)) }
                for k in slices {
                    let full = SliceRenderer.render(ct: enhanced, labels: labels, plane: .axial, index: k, window: (0, 1))
                    try PNG.write(full, to: "\(dir)/slices/\(name)-\(method.rawValue)-k\(k).png")
                    rows.append(SliceRenderer.render(ct: enhanced, labels: labels, plane: .axial, index: k, window: (0, 1), side: options.tileSide))
                }
            }
            try PNG.write(Montage.grid(rows, columns: slices.count), to: "\(dir)/montage-\(name).png")
        }
        var csv = "window,method,liver_tumor_contrast,slice_consistency,liver_mean,tumor_mean\n"
        for (name, _) in options.windows {
            for m in metrics[name] ?? [] {
                csv += [name, m.method, CSV.number(m.liverTumorContrast, 4), CSV.number(m.sliceConsistency, 5),
                        CSV.number(m.liverMean, 4), CSV.number(m.tumorMean, 4)].joined(separator: ",") + "\n"
            }
        }
        try fm.createDirectory(atPath: "\(dir)/data", withIntermediateDirectories: true)
        try AtomicFile.write(csv, to: "\(dir)/data/metrics.csv")
        if let first = options.windows.first, let m = metrics[first.name], !m.isEmpty {
            try await chart(m, window: first.name).render(in: dir)
        }
        try page(c, options: options, slices: slices, metrics: metrics).write(to: "\(dir)/index.md")
        return metrics
    }

    static func chart(_ m: [EnhancementMetrics], window: String) -> GnuplotChart {
        let rows = m.enumerated().map { "\($0.offset) \($0.element.method) \(CSV.number($0.element.liverTumorContrast, 4).isEmpty ? "NaN" : CSV.number($0.element.liverTumorContrast, 4)) \(CSV.number($0.element.sliceConsistency, 5).isEmpty ? "NaN" : CSV.number($0.element.sliceConsistency, 5))" }
        var c = GnuplotChart(name: "enhancement_metrics", data: "# n method contrast consistency\n" + rows.joined(separator: "\n") + "\n", commands: [
            "set multiplot layout 1,2 title 'Enhancement methods, \(window) window'",
            "set style fill solid 0.8", "set boxwidth 0.6", "set yrange [0:*]", "set xrange [-0.6:\(Double(m.count) - 0.4)]",
            "set xtics rotate by -30",
            "set title 'liver-tumor contrast (higher is better)'",
            "plot datafile using 1:3:xtic(2) with boxes lc rgb '#1a9641' notitle",
            "set title 'std of the mean liver intensity across slices (lower is better)'",
            "plot datafile using 1:4:xtic(2) with boxes lc rgb '#2c7bb6' notitle",
            "unset multiplot",
        ])
        c.size = (1100, 480)
        return c
    }

    static func page(_ c: LoadedCase, options: PreviewOptions, slices: [Int], metrics: [String: [EnhancementMetrics]]) -> MarkdownPage {
        var p = MarkdownPage(title: "Windowing and enhancement preview: case \(c.info.id)")
        p.paragraph("Axial slices \(slices.map(String.init).joined(separator: ", ")) (canonical k, inferior to superior; chosen \(options.slices == nil ? "evenly over the liver, top first, plus the slice with the most tumor" : "by the user")). Radiological convention: the patient's right on the image's left, anterior up." + (options.contours && c.labels != nil ? " Liver contour green, tumor contour red." : ""))
        p.heading("Rows of each montage")
        p.bullets(options.methods.enumerated().map { "Row \($0.offset + 1), `\($0.element.rawValue)`: \($0.element.explanation)." })
        let e = options.enhancement
        p.paragraph("Histogram equalization uses \(e.bins) bins and the CDF interpolated linearly between bin centres (scikit-image's `equalize_hist`; the baseline used 32 bins). CLAHE: kernel \(e.claheKernel.map { "\($0[0])x\($0[1])" } ?? "1/8 of the slice") pixels, clip limit \(e.claheClipLimit), \(e.claheBins) bins, as scikit-image's `equalize_adapthist` defines them.")
        for (name, w) in options.windows {
            p.heading("Window \(name) [\(Int(w.low)), \(Int(w.high))] HU")
            p.image("Montage, \(name) window: one row per method, one column per slice", path: "montage-\(name).png")
            if let m = metrics[name] {
                p.table(["method", "liver-tumor contrast", "slice-to-slice std of liver mean", "liver mean", "tumor mean"],
                        m.map { [$0.method, CSV.number($0.liverTumorContrast, 3), CSV.number($0.sliceConsistency, 4),
                                 CSV.number($0.liverMean, 3), CSV.number($0.tumorMean, 3)] }, alignRight: [1, 2, 3, 4])
            }
        }
        if !metrics.isEmpty {
            p.image("Contrast and consistency per method", path: "figures/enhancement_metrics.png")
            p.paragraph("Contrast: |mean(liver) - mean(tumor)| / sqrt((var(liver) + var(tumor)) / 2) over every voxel of the case after enhancement (liver = label 1, tumor = label 2), so it is independent of the output scale. Consistency: the standard deviation, across the axial slices that hold liver, of the mean liver intensity; per-slice methods that rescale neighbouring slices differently raise it.")
        }
        p.paragraph("Full-resolution single slices are in `slices/` (WINDOW-METHOD-kK.png); the numbers are in [data/metrics.csv](data/metrics.csv).")
        return p
    }
}
