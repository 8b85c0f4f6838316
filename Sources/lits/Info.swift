import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCore

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print shape, spacing, orientation, datatype, HU range and label counts of cases or files.")

    @OptionGroup var args: InfoArguments

    func run() throws {
        try runReportingErrors {
            let (total, result) = try CaseSummary.read(args.paths, threads: args.threads)
            let rows = result.results.map(\.1)
            print(args.json ? try CaseSummaryText.json(rows) : CaseSummaryText.table(rows))
            try reportFailures(result.failures, total: total)
        }
    }
}
