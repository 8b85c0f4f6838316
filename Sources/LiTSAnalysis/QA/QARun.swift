import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// `lits qa DATA [--out DIR]`: every case read once (image, labels, body mask), its facts and
/// findings, then the duplicate search across all of them.
public enum QARun {
    public struct Result: Sendable {
        public var summary: QAReport.Summary
        public var facts: [QACaseFacts]
        /// The page written, when there is an output folder.
        public var page: String?
        public var hasErrors: Bool { summary.errors > 0 }
    }

    /// One case: facts, its own findings and (into `out`) its facts file and evidence montage.
    public static func analyse(_ c: Case, into out: String?, figures: FigureFormat = .png) throws -> QACaseFacts {
        let q = try QALoad.load(c, tolerateGridMismatch: true)
        let body = BodyMask.compute(q.loaded.ct)
        let facts = QAMeasure.facts(q, body: body)
        if let out {
            do {
                try QAReport.saveCase(facts, montage: QAReport.montage(q.loaded, findings: QAChecks.caseFindings(facts)), in: out,
                                        format: figures)
            } catch {
                QAReport.removeCaseFiles(c.id, in: out)   // a failed case leaves none of its files
                throw error
            }
        }
        return facts
    }

    /// `figures`: the format of the evidence montages (`--figures`).
    public static func run(_ inputs: [String], out: String?, threads: Int, title: String? = nil,
                           figures: FigureFormat = .png) throws -> Result {
        let (cases, skipped) = try discover(inputs)
        if let out {
            try OutputFolder.prepare(out, inputs: inputs, command: "lits qa")
            QAReport.clearCases(in: out)
            for name in QAReport.reportFiles { unlink("\(out)/\(name)") }   // an earlier run's report
        }
        let run = CaseRunner.run(cases, threads: threads, label: "qa") { c in try analyse(c, into: out, figures: figures) }
        let facts = run.results.map(\.1)
        let summary = QAReport.Summary(cases: cases.count, findings: QAChecks.all(facts, failed: run.failedByID, skipped: skipped, output: out))
        var result = Result(summary: summary, facts: facts, page: nil)
        if let out {
            do {
                try QAReport.writeData(summary, to: out)
                let name = URL(fileURLWithPath: out).standardizedFileURL.lastPathComponent
                try ReportFolder(out).writePage(QAReport.page(summary, facts: facts, in: out, title: title ?? "Dataset QA: \(name)"))
            } catch {
                for name in QAReport.reportFiles { unlink("\(out)/\(name)") }   // no partial report
                throw ReportError(error: error, result: result)
            }
            result.page = "\(out)/index.md"
        }
        return result
    }

    /// The report could not be written after the checks ran: its error, and the findings, which
    /// the user must still see.
    public struct ReportError: Error {
        public var error: Error
        public var result: Result
    }

    /// The cases of every input (an id two inputs share qualified by its folder's name, the
    /// rule of every command: `Dataset.qualify`) and the files discovery passed over.
    public static func discover(_ inputs: [String]) throws -> (cases: [Case], skipped: [SkippedFile]) {
        let found = try Dataset.discoverListingSkipped(inputs)
        return (found.cases, found.skipped)
    }

    /// The findings as a plain table for a terminal.
    public static func table(_ findings: [QAFinding]) -> String {
        guard !findings.isEmpty else { return "no findings\n" }
        return findings.map { "\($0.caseID)\t\($0.severity.rawValue)\t\($0.check)\t\($0.measured)\t(expected \($0.expected))\t\($0.action)" }
            .joined(separator: "\n") + "\n"
    }
}
