import Foundation
import LiTSCore
import LiTSRender

/// The report of `lits evaluate --compare`: `index.md` (per compared report: the paired table,
/// the cases left out, the runs' configuration differences, mean Dice per region),
/// `data/compare.csv`, `data/compare-cases.csv` and the chart of the paired differences.
public enum EvaluationComparisonReport {
    public static let chartName = "paired_differences"
    static func files(_ figures: FigureFormat) -> [String] {
        ["data/compare.csv", "data/compare-cases.csv", "charts/\(chartName).dat", "charts/\(chartName).gp", figures.figurePath(chartName), "index.md"]
    }

    /// Reads the reports (a bad one leaves no output), prepares `out` and writes the report;
    /// returns the page's text. A rerun removes the earlier page first, and a report that cannot
    /// be finished removes what it wrote: an `index.md` is always a complete report of one run.
    public static func run(_ reports: [String], out: String, figures: FigureFormat = .png) throws -> String {
        let comparison = try EvaluationComparison.compute(reports)
        try OutputFolder.prepare(out, inputs: reports, command: "lits evaluate --compare")
        unlink("\(out)/index.md")
        do {
            return try write(comparison, to: ReportFolder(out, figures: figures))
        } catch {
            for name in files(figures) { unlink("\(out)/\(name)") }
            for dir in ["data", "charts", "figures"] { rmdir("\(out)/\(dir)") }  // only when empty
            throw error
        }
    }

    /// "A", "B", ...: the reference is A.
    static func letter(_ i: Int) -> String { i < 26 ? String(UnicodeScalar(UInt8(65 + i))) : "R\(i + 1)" }

    public static func write(_ c: EvaluationComparison, to folder: ReportFolder) throws -> String {
        try folder.writeCSV(csv(c), name: "data/compare.csv")
        try folder.writeCSV(casesCSV(c), name: "data/compare-cases.csv")
        try folder.render(chart(c))
        let p = page(c, figure: folder.figure(chartName))
        try folder.writePage(p)
        return p.text
    }

    // MARK: Numbers as text

    /// `x` with `digits` decimals; "-" for nil or NaN; a value that rounds to zero is "0.000",
    /// never "-0.000" (nor "+0.000" with `sign`).
    public static func fixed(_ x: Double?, _ digits: Int = 3, sign: Bool = false, undefined: String = "-") -> String {
        guard let x, x.isFinite else { return undefined }
        let s = String(format: sign ? "%+.\(digits)f" : "%.\(digits)f", x)
        let zero = !s.contains { ("1"..."9").contains($0) }
        return zero ? String(format: "%.\(digits)f", 0.0) : s
    }

    /// A p value: 4 decimals, below 0.0001 as "< 0.0001".
    static func pText(_ p: Double?) -> String {
        guard let p else { return "-" }
        return p < 0.0001 ? "< 0.0001" : fixed(p, 4)
    }

    /// Full precision for the CSV files (shortest text that reads back as the same Double);
    /// empty where undefined; never "-0.0".
    static func csvNumber(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        return x == 0 ? "0" : "\(x)"
    }

    // MARK: CSV

    static func csv(_ c: EvaluationComparison) -> String {
        var rows = ["metric,reference,report,n,mean_reference,mean_report,mean_difference,ci_low,ci_high,wilcoxon_p,p_method"]
        for pair in c.pairs { for r in pair.results {
            let meanA = r.reference.isEmpty ? nil : PairedStatistics.mean(r.reference)
            let meanB = r.other.isEmpty ? nil : PairedStatistics.mean(r.other)
            rows.append([r.metric.column, csvField(c.reference.path), csvField(pair.other.path), String(r.stats.n), csvNumber(meanA),
                         csvNumber(meanB), csvNumber(r.stats.mean), csvNumber(r.stats.low), csvNumber(r.stats.high),
                         csvNumber(r.stats.p), r.stats.method?.rawValue ?? ""].joined(separator: ","))
        } }
        return rows.joined(separator: "\n") + "\n"
    }

    /// Each pair of values the statistics used.
    static func casesCSV(_ c: EvaluationComparison) -> String {
        var rows = ["metric,report,case,reference,value,difference"]
        for pair in c.pairs { for r in pair.results {
            for (i, id) in r.cases.enumerated() {
                rows.append([r.metric.column, csvField(pair.other.path), csvField(id), csvNumber(r.reference[i]), csvNumber(r.other[i]),
                             csvNumber(r.other[i] - r.reference[i])].joined(separator: ","))
            }
        } }
        return rows.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 quoting where a field needs it (a folder name with a comma or quote).
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: Page

    static func page(_ c: EvaluationComparison, figure: String) -> MarkdownPage {
        var p = MarkdownPage(title: "Comparison of \(c.pairs.count + 1) evaluations")
        p.bullets(["A (reference): `\(c.reference.path)`"] + c.pairs.enumerated().map { "\(letter($0.offset + 1)): `\($0.element.other.path)`" })
        p.paragraph("Each report is paired with the reference case by case: a difference is the report's value minus the reference's for the same case. Over the cases both reports scored, a case whose metric is not defined in either (no lesion in truth and prediction, a distance to an empty mask, a case left unscored) is left out of that metric, so n varies by metric. Mean difference with a 95% percentile-bootstrap interval (\(PairedStatistics.resamples.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) resamples of the pairs, SplitMix64 seeded with \(PairedStatistics.seed), so reruns give the same interval) and the two-sided Wilcoxon signed-rank p as scipy.stats.wilcoxon's defaults compute it (zero differences dropped; exact for n <= 50 without ties or zeros, exact sign-flip permutation for n <= 13 with them, normal approximation otherwise). Intervals and p values are per metric, not corrected for the number of metrics or reports compared. In the chart, the n after a metric lists each compared report's pairs in turn.")
        p.image("Paired differences per case, mean and 95% interval", path: figure)
        for (i, pair) in c.pairs.enumerated() { section(pair, letter: letter(i + 1), reference: c.reference, into: &p) }
        p.paragraph("Files: [data/compare.csv](data/compare.csv) (one row per metric and report), [data/compare-cases.csv](data/compare-cases.csv) (every pair of values used); the chart re-plots with `cd charts && gnuplot \(chartName).gp`.")
        return p
    }

    static func section(_ pair: EvaluationComparison.Pair, letter b: String, reference: EvaluationComparison.Report, into p: inout MarkdownPage) {
        p.heading("\(b) against A")
        var notes = ["\(pair.common.count) case(s) in both reports."]
        if !pair.onlyReference.isEmpty { notes.append("Only in A, left out: \(pair.onlyReference.joined(separator: ", ")).") }
        if !pair.onlyOther.isEmpty { notes.append("Only in \(b), left out: \(pair.onlyOther.joined(separator: ", ")).") }
        p.paragraph(notes.joined(separator: " "))
        let unscored = pair.common.compactMap { id -> String? in
            let s = [reference.status[id].map { "A: \($0)" }, pair.other.status[id].map { "\(b): \($0)" }].compactMap { $0 }
            return s.isEmpty ? nil : "Case \(id) (\(s.joined(separator: "; ")))"
        }
        p.bullets(unscored)
        p.table(["metric", "n", "mean A", "mean \(b)", "mean \(b) - A", "95% interval", "Wilcoxon p"], pair.results.map { r in
            let digits = r.metric.millimetres ? 2 : 3
            let meanA = r.reference.isEmpty ? nil : PairedStatistics.mean(r.reference)
            let meanB = r.other.isEmpty ? nil : PairedStatistics.mean(r.other)
            let ci = r.stats.low.map { "\(fixed($0, digits, sign: true)) to \(fixed(r.stats.high, digits, sign: true))" } ?? "-"
            return [r.metric.label, String(r.stats.n), fixed(meanA, digits), fixed(meanB, digits), fixed(r.stats.mean, digits, sign: true), ci, pText(r.stats.p)]
        }, alignRight: Set(1...6))
        configuration(pair, letter: b, into: &p)
        p.heading("Mean Dice per region of the liver", level: 3)
        let regions = EvaluationComparison.regionNames.filter { reference.regions[$0] != nil || pair.other.regions[$0] != nil }
        p.table(["region", "liver Dice A", "liver Dice \(b)", "\(b) - A", "lesion Dice A", "lesion Dice \(b)", "\(b) - A"], regions.map { r in
            let x = reference.regions[r], y = pair.other.regions[r]
            func d(_ u: Double?, _ v: Double?) -> String {
                guard let u, let v else { return "-" }
                return fixed(v - u, sign: true)
            }
            return [r, fixed(x?.liver), fixed(y?.liver), d(x?.liver, y?.liver), fixed(x?.lesion), fixed(y?.lesion), d(x?.lesion, y?.lesion)]
        }, alignRight: Set(1...6))
    }

    static func configuration(_ pair: EvaluationComparison.Pair, letter b: String, into p: inout MarkdownPage) {
        p.heading("Training configuration", level: 3)
        switch pair.configDifferences {
        case .failure(let unknown):
            p.paragraph("Not compared: \(unknown.reason).")
        case .success(let keys) where keys.isEmpty:
            p.paragraph("The runs' config.json files do not differ (\(runText(pair.other.run))).")
        case .success(let keys):
            p.paragraph("Keys of config.json that differ between the runs (\(runText(pair.other.run))):")
            p.table(["key", "A", b], keys.map { [$0.key, $0.reference.map { "`\($0)`" } ?? "(absent)", $0.other.map { "`\($0)`" } ?? "(absent)"] })
        }
    }

    static func runText(_ run: EvaluationComparison.RunConfig) -> String {
        if case .found(let path, _) = run { return "this report's run: `\(path)`" }
        return "no run found"
    }

    // MARK: Chart

    /// Okabe and Ito's colour-blind-safe palette (blue, vermillion, bluish green, reddish purple,
    /// orange, sky blue), one colour per compared report.
    static let okabeIto = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]

    /// Two panels, unitless metrics (Dice, NSD, PQ) and distances in mm: per compared report
    /// its per-case differences as points and the mean with its 95% interval as a bar; a dashed
    /// line at 0. A panel with no pair of values says so instead of plotting nothing.
    static func chart(_ c: EvaluationComparison) -> GnuplotChart {
        let panels: [(String, [Int])] = [
            ("Dice, NSD and PQ: report - reference", EvaluationComparison.metrics.indices.filter { !EvaluationComparison.metrics[$0].millimetres }),
            ("Surface distances (mm): report - reference", EvaluationComparison.metrics.indices.filter { EvaluationComparison.metrics[$0].millimetres }),
        ]
        let k = c.pairs.count, width = 0.5
        func offset(_ pair: Int) -> Double { k == 1 ? 0 : -width / 2 + width * Double(pair) / Double(k - 1) }
        var blocks: [String] = []
        var commands = ["set multiplot layout 1,2", "set key tmargin center horizontal maxrows 2", "set bmargin 9"]
        for (title, metricIndices) in panels {
            var plots: [String] = []
            var any = false
            for (pi, pair) in c.pairs.enumerated() {
                var points: [[Double]] = [], summary: [[Double]] = []
                for (xi, m) in metricIndices.enumerated() {
                    let r = pair.results[m], d = r.differences
                    let x = Double(xi) + offset(pi)
                    for (j, v) in d.enumerated() {
                        // A fixed spread by case order, so points of equal value do not hide each other.
                        let jitter = d.count < 2 ? 0 : (Double(j) / Double(d.count - 1) - 0.5) * 0.2 / Double(max(k, 1))
                        points.append([x + jitter, v])
                    }
                    if let mean = r.stats.mean { summary.append([x, mean, r.stats.low ?? mean, r.stats.high ?? mean]) }
                }
                any = any || !points.isEmpty
                let index = blocks.count
                blocks.append(GnuplotChart.table(["x", "difference"], points.isEmpty ? [[.nan, .nan]] : points))
                blocks.append(GnuplotChart.table(["x", "mean", "low", "high"], summary.isEmpty ? [[.nan, .nan, .nan, .nan]] : summary))
                let label = "\(letter(pi + 1)) - A (\((pair.other.path as NSString).lastPathComponent))"
                let colour = "lc rgb '\(okabeIto[pi % okabeIto.count])'"
                plots.append("datafile index \(index) using 1:2 with points pt 7 ps 0.8 \(colour) title \(GnuplotChart.quote(label + ": cases"))")
                plots.append("datafile index \(index + 1) using 1:2:3:4 with yerrorbars pt 5 ps 1.4 lw 2 \(colour) title \(GnuplotChart.quote(letter(pi + 1) + ": mean, 95% interval"))")
            }
            commands.append("set title \(GnuplotChart.quote(title))")
            if !any {
                commands += ["set label 1 \(GnuplotChart.quote("no metric here is defined in both reports for any case")) at graph 0.5, graph 0.5 center",
                             "set xrange [0:1]", "set yrange [0:1]", "unset xtics", "unset ytics", "unset arrow 1", "plot 1/0 notitle", "unset label 1"]
                continue
            }
            let tics = metricIndices.enumerated().map { xi, m -> String in
                let ns = Set(c.pairs.map { $0.results[m].stats.n }).sorted().map(String.init).joined(separator: "/")
                return "\(GnuplotChart.quote("\(EvaluationComparison.metrics[m].label) (n \(ns))")) \(xi)"
            }
            commands += ["set xrange [-0.6:\(Double(metricIndices.count) - 0.4)]", "set autoscale y", "set offsets 0, 0, graph 0.08, graph 0.08",
                         "set xtics (\(tics.joined(separator: ", "))) rotate by 30 right", "set ytics",
                         "set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead dt 2 lc rgb '#555555'",
                         "plot " + plots.joined(separator: ", \\\n     ")]
        }
        commands.append("unset multiplot")
        var chart = GnuplotChart(name: chartName, data: blocks.joined(separator: "\n\n"), commands: commands)
        chart.size = (1400, 620)
        return chart
    }
}
