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
        discussion: CommandHelp.qa)

    @OptionGroup var args: QAArguments

    func run() throws {
        try runReportingErrors {
            let result: QARun.Result
            do { result = try QARun.run(args.data, out: args.out, threads: args.threads, title: args.title, figures: args.figures) } catch let e as QARun.ReportError {
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
