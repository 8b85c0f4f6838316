import ArgumentParser
import Foundation
import LiTSCore

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print shape, spacing, orientation, datatype, HU range and label counts of cases or files.")

    @Argument(help: "Dataset folders or NIfTI files.")
    var paths: [String]

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Cases read in parallel.")
    var threads = 2

    struct Row: Codable {
        var id: String
        var volume: String
        var segmentation: String?
        var shape: [Int]          // as stored in the file
        var spacing: [Double]     // mm, as stored
        var orientation: String   // axis codes of the file, e.g. LPS
        var datatype: String
        var huMin: Float
        var huMax: Float
        var labelCounts: [String: Int]?
    }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            let cases = try Dataset.discover(paths)
            let (ok, failures) = runCases(cases, threads: threads, label: "info") { c in
                try Info.row(for: c)
            }
            let rows = ok.map { $0.1 }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            } else {
                print(Info.table(rows))
            }
            try reportFailures(failures, total: cases.count)
        }
    }

    static func row(for c: Case) throws -> Row {
        // Full checks (finite HU, segmentation on the volume's grid, labels in {0, 1, 2}), but the
        // table shows the file's own geometry, which is what other tools show too.
        let loaded = try CaseLoader.load(c)
        let counts = loaded.labels.map { l -> [String: Int] in
            let n = l.labelCounts()
            return ["background": n[0], "liver": n[1], "tumor": n[2]]
        }
        let (lo, hi) = loaded.ct.minMax() ?? (0, 0)
        let source = loaded.source
        return Row(id: c.id, volume: c.volumePath, segmentation: c.segmentationPath, shape: source.grid.shape,
                   spacing: source.grid.spacing, orientation: source.grid.axisCodes, datatype: source.datatypeName,
                   huMin: lo, huMax: hi, labelCounts: counts)
    }

    static func table(_ rows: [Row]) -> String {
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
