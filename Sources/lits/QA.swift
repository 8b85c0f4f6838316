import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSAnalysis
import LiTSCore
import LiTSRender

struct QA: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qa",
        abstract: "Dataset quality checks: implausible spacing, duplicates, image-label disagreement, label anatomy, intensities, field of view.",
        discussion: """
        One row per finding (case, check, severity error/warning/note, measured value, expected \
        range, what to do) on stdout, tab-separated. Every check is computed from the data. Cases in \
        all the folders given are compared for duplicates (train/test leaks). With --out, the folder \
        gets index.md (findings and the slice that shows each), data/qa.csv, data/qa.json, \
        data/qa/ID.json and figures/qa-ID.png (.svg or .pdf with --figures). Exit status 1 when any error is found (an unreadable \
        case is one), so a pipeline can stop on it.
        """)

    @Argument(help: "Dataset folder(s) or volume files.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Report folder (created; must not be inside the input).")
    var out: String?

    @OptionGroup var labels: LabelsArgument

    @Option(help: "Report title (default: 'Dataset QA: ' and the folder name).")
    var title: String?

    @Option(help: "Cases checked in parallel (memory grows with it: about 3x one case's CT each).")
    var threads = 2

    @Option(help: "Format of the evidence montages: png, svg or pdf (drawn by Cairo; the page links the files written).")
    var figures = FigureFormat.png

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            let result: QARun.Result
            do { result = try QARun.run(data, out: out, threads: threads, title: title, figures: figures) } catch let e as QARun.ReportError {
                print(QARun.table(e.result.summary.findings), terminator: "")   // the findings, then why no report
                throw e.error
            }
            print(QARun.table(result.summary.findings), terminator: "")
            let s = result.summary
            print("\(s.cases) case(s): \(s.errors) error(s), \(s.warnings) warning(s), \(s.notes) note(s)" + (result.page.map { "; report: \($0)" } ?? ""))
            if result.hasErrors {
                printError("errors in case(s) \(s.casesWithErrors.joined(separator: ", "))")
                throw ExitCode.failure
            }
        }
    }
}
