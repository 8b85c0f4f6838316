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

    static func regionMeans(_ report: String) throws -> [String: (Double?, Double?)] {
        guard let text = try? String(contentsOfFile: "\(report)/data/regions.csv", encoding: .utf8) else {
            throw LiTSError(.notFound, path: report, "not an evaluation report (no data/regions.csv)")
        }
        var acc: [String: ([Double], [Double])] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 8 else { continue }
            acc[f[1], default: ([], [])].0.append(Double(f[2]) ?? .nan)
            acc[f[1], default: ([], [])].1.append(Double(f[5]) ?? .nan)
        }
        return acc.mapValues { (EvaluationSummary.nanMean($0.0), EvaluationSummary.nanMean($0.1)) }
    }
}
