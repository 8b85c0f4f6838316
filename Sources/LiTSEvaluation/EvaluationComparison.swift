import Foundation
import LiTSCore

/// Two evaluation reports' per-region mean Dice, read from their `data/regions.csv`.
public struct EvaluationComparison: Sendable {
    public struct Row: Sendable {
        public var region: String
        public var liverA: Double?, liverB: Double?, lesionA: Double?, lesionB: Double?
    }

    public var a: String
    public var b: String
    /// top, middle, bottom, outside: those present in either report.
    public var rows: [Row]

    public static func compute(_ a: String, _ b: String) throws -> EvaluationComparison {
        let ra = try regionMeans(a), rb = try regionMeans(b)
        let rows = ["top", "middle", "bottom", "outside"].filter { ra[$0] != nil || rb[$0] != nil }.map { r -> Row in
            let (la, ta) = ra[r] ?? (nil, nil), (lb, tb) = rb[r] ?? (nil, nil)
            return Row(region: r, liverA: la, liverB: lb, lesionA: ta, lesionB: tb)
        }
        return EvaluationComparison(a: a, b: b, rows: rows)
    }

    static let regionsHeader = "case,region,liver_dice,liver_fp,liver_fn,lesion_dice,lesion_fp,lesion_fn"
    static let regionNames: Set<String> = ["top", "middle", "bottom", "outside"]

    /// Mean liver and lesion Dice per region of a report's `data/regions.csv`. The file must be
    /// the one `lits evaluate` writes: its header, eight fields a row, a known region, Dice in
    /// [0, 1] or "-", counts as whole numbers; anything else is refused with the line and why
    /// (a comparison of a damaged file would be a page of "-" or of wrong numbers).
    static func regionMeans(_ report: String) throws -> [String: (Double?, Double?)] {
        let file = "\(report)/data/regions.csv"
        guard FileManager.default.fileExists(atPath: file) else {
            throw LiTSError(.notFound, path: report, "not an evaluation report (no data/regions.csv)")
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw LiTSError(.unreadable, path: file, "cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw LiTSError(.corrupt, path: file, "is not UTF-8 text") }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.first == regionsHeader else {
            throw LiTSError(.corrupt, path: file, "line 1 is not the header of an evaluation's regions table (\(regionsHeader))")
        }
        var acc: [String: ([Double], [Double])] = [:]
        for (n, line) in lines.enumerated().dropFirst() where !(line.isEmpty && n == lines.count - 1) {
            let (region, liver, lesion) = try regionRow(line, file: file, line: n + 1)
            acc[region, default: ([], [])].0.append(liver)
            acc[region, default: ([], [])].1.append(lesion)
        }
        guard !acc.isEmpty else { throw LiTSError(.corrupt, path: file, "has no rows (no case was evaluated)") }
        return acc.mapValues { (EvaluationSummary.nanMean($0.0), EvaluationSummary.nanMean($0.1)) }
    }

    /// One row: its region and liver and lesion Dice (NaN for "-").
    static func regionRow(_ line: String, file: String, line n: Int) throws -> (String, Double, Double) {
        let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 8 else { throw LiTSError(.corrupt, path: file, "line \(n) has \(f.count) fields, expected 8") }
        guard regionNames.contains(f[1]) else {
            throw LiTSError(.corrupt, path: file, "line \(n): unknown region '\(f[1])' (expected top, middle, bottom or outside)")
        }
        func dice(_ s: String, _ column: String) throws -> Double {
            if s == "-" { return .nan }
            guard let x = Double(s), (0...1).contains(x) else {
                throw LiTSError(.corrupt, path: file, "line \(n): \(column) '\(s)' is not a Dice in [0, 1] or '-'")
            }
            return x
        }
        for (i, column) in [(3, "liver_fp"), (4, "liver_fn"), (6, "lesion_fp"), (7, "lesion_fn")] where UInt(f[i]) == nil {
            throw LiTSError(.corrupt, path: file, "line \(n): \(column) '\(f[i])' is not a voxel count")
        }
        return (f[1], try dice(f[2], "liver_dice"), try dice(f[5], "lesion_dice"))
    }
}
