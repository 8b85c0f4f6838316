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
            if args.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            } else {
                print(Info.table(rows))
            }
            try reportFailures(result.failures, total: total)
        }
    }

    static func table(_ rows: [CaseSummary]) -> String {
        let header = ["case", "shape", "spacing mm", "orient", "dtype", "HU min", "HU max", "liver vox", "tumor vox"]
        let body = rows.map { r -> [String] in
            [r.id, r.shape.map(String.init).joined(separator: "x"),
             r.spacing.map { String(format: "%.3g", $0) }.joined(separator: ","),
             r.orientation, r.datatype, String(format: "%.0f", r.huMin), String(format: "%.0f", r.huMax),
             r.labelCounts.map { String($0["liver"] ?? 0) } ?? "no labels",
             r.labelCounts.map { String($0["tumor"] ?? 0) } ?? "-"]
        }
        let widths = header.indices.map { c in ([header] + body).map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + body.map(line)).joined(separator: "\n")
    }
}
