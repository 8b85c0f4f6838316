import ArgumentParser
import Foundation
import LiTSCore
import LiTSEvaluation

// What commands print: tables and lines built from the libraries' results.

/// `lits info`'s output: one row per case, or JSON.
public enum CaseSummaryText {
    public static func json(_ rows: [CaseSummary]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }

    public static func table(_ rows: [CaseSummary]) -> String {
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

/// Cases not scored from their own prediction: each reason on stderr, then exit 1 (after the
/// report, which lists them as rows, is written; with no usable prediction at all no report is).
public func reportUnscored(_ failures: [(Case, String)], total: Int, reported: Bool, missing: MissingPolicy) throws {
    guard !failures.isEmpty else { return }
    for (_, message) in failures { printError(message) }
    let ids = failures.map { $0.0.id }.joined(separator: ", ")
    if reported {
        let how = missing == .zero ? "scored as empty predictions where the truth could be read" : "left out of the means"
        printError("\(failures.count) of \(total) cases were not scored from their own prediction (\(how); rows of the report): \(ids)")
    } else {
        printError("no case has a usable prediction (\(failures.count) of \(total)); nothing evaluated: \(ids)")
    }
    throw ExitCode.failure
}

/// One line per case: its metrics, or its status.
public func printCaseLines(_ summary: EvaluationSummary) {
    for row in summary.rows {
        guard let e = row.evaluation else { print("case \(row.id): \(row.status.rawValue), not scored"); continue }
        let note = row.status == .scored ? "" : " (\(row.status.rawValue): scored as an empty prediction)"
        print(String(format: "case %@: liver Dice %.4f, lesion Dice %@, lesions found %d/%d", e.id, e.liver.dice,
                     e.lesion.dice.isNaN ? "-" : String(format: "%.4f", e.lesion.dice), e.lesions.filter(\.detected).count, e.lesions.count) + note)
    }
}
