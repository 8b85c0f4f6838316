import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// The EDA report folder: `index.md`, `figures/` (PNG, SVG or PDF: `--figures`), `charts/*.gp` + `*.dat`, and
/// `data/cases.csv`, `data/lesions.csv`, `data/fingerprint.json`, `data/summary.json`,
/// `data/hu_histograms.csv`, plus `data/cases/ID.json` (everything per case, which is what
/// `lits eda merge` reads).
public enum EDAReport {
    public static let casesFolder = "data/cases"

    /// Saves one case's results (and its montage) into a report or shard folder.
    public static func saveCase(_ eda: CaseEDA, montage: MontageFigure?, in dir: String, format: FigureFormat = .png) throws {
        let folder = ReportFolder(dir)
        try folder.makeFolder("figures")
        // A failed case leaves nothing: the montage goes again if its results cannot be written.
        let png = format.figurePath("case-\(eda.id)")
        if let montage { try folder.writeMontage(montage, name: "figures/case-\(eda.id)", format: format) }
        do { try folder.writeJSON(eda, name: "\(casesFolder)/\(eda.id).json") } catch {
            unlink("\(dir)/\(png)")
            throw error
        }
    }

    /// Reads every case saved in the given folders, in case order; the same case twice is an error.
    public static func loadCases(from dirs: [String]) throws -> [CaseEDA] {
        var byID: [String: (CaseEDA, String)] = [:]
        for dir in dirs {
            let folder = "\(dir)/\(casesFolder)"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
                throw LiTSError(.notFound, path: dir, "not an EDA report or shard (no \(casesFolder)/)")
            }
            for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
                let path = "\(folder)/\(name)"
                let eda: CaseEDA
                do {
                    eda = try JSONDecoder().decode(CaseEDA.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
                } catch {
                    throw LiTSError(.corrupt, path: path, "not a LiTSKit case result (\(error.localizedDescription))")
                }
                if let (_, other) = byID[eda.id] {
                    throw LiTSError(.invalidArgument, path: path, "case \(eda.id) is also in \(other)")
                }
                byID[eda.id] = (eda, dir)
            }
        }
        return byID.values.map(\.0).sorted { a, b in
            switch (Int(a.id), Int(b.id)) {
            case let (x?, y?): return x < y
            default: return a.id < b.id
            }
        }
    }

    /// The dataset-level files `write` makes (the page first), as written by an earlier run.
    static let reportFiles = ["index.md", "data/summary.json", "data/fingerprint.json", "data/cases.csv", "data/lesions.csv",
                              "data/hu_histograms.csv"] + QAReport.reportFiles

    /// Removes the page and dataset-level files of an earlier run.
    public static func clearReport(in dir: String) {
        for name in reportFiles { unlink("\(dir)/\(name)") }
    }

    /// Writes every dataset-level file and the page. Case files and montages must already be in `dir`.
    public static func write(_ result: EDAResult, to dir: String, title: String, failed: [String: String] = [:],
                             skipped: [SkippedFile] = [], figures: FigureFormat = .png) throws {
        let folder = ReportFolder(dir, figures: figures)
        try folder.writeJSON(result.fingerprint, name: "data/fingerprint.json")
        var summary = result.summary
        summary.failedCases = failed
        summary.skippedFiles = skipped
        try folder.writeJSON(summary, name: "data/summary.json")
        try folder.writeCSV(EDATables.cases(result.cases), name: "data/cases.csv")
        try folder.writeCSV(EDATables.lesions(result.cases), name: "data/lesions.csv")
        try folder.writeCSV(EDATables.histograms(result.pooled), name: "data/hu_histograms.csv")
        for chart in EDACharts.all(result) { try folder.render(chart) }
        // The quality checks open the page (`lits qa` on the same cases, from the saved facts).
        let facts = try QAReport.loadFacts(from: [dir])
        var qa: (QAReport.Summary, [QACaseFacts])?
        if !facts.isEmpty {
            let summary = QAReport.Summary(cases: facts.count + failed.count, findings: QAChecks.all(facts, failed: failed, skipped: skipped, output: dir))
            try QAReport.writeData(summary, to: dir)
            qa = (summary, facts)
        }
        try folder.writePage(EDAPage.page(result, title: title, failed: failed, qa: qa, in: dir, figures: figures))
    }
}
