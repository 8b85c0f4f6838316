import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// `lits preview`: one case of `path` (a file, or a dataset folder and a case id), its windows and
/// enhancements computed and written as a report into `out`.
public enum PreviewRun {
    /// Returns one line per window and method: its liver-tumour contrast and slice-to-slice std.
    public static func run(_ path: String, caseID: String?, out: String, options: PreviewOptions, figures: FigureFormat) throws -> [String] {
        let c = try Dataset.selectCase(path, id: caseID)
        try OutputFolder.prepare(out, inputs: [path], command: "lits preview")
        let loaded = try CaseLoader.load(c)
        let result = try PreviewAnalysis.compute(loaded, options: options)
        try PreviewReport.write(result, options: options, to: out, figures: figures)
        return result.metrics.sorted(by: { $0.key < $1.key }).flatMap { window, rows in
            rows.map { m in
                "\(window) \(m.method): contrast \(m.liverTumorContrast.map { String(format: "%.3f", $0) } ?? "-"), slice-to-slice std \(m.sliceConsistency.map { String(format: "%.4f", $0) } ?? "-")"
            }
        }
    }
}
