import Foundation
import LiTSCore

/// Duplicates across the dataset (every folder given): identical voxel data (hash), and the same
/// scan under another header, crop, flip or axis order (fingerprint correlation).
public enum QADuplicates {
    public static let check = "duplicate"
    /// Correlation of the fingerprints inside the body at the best pose: a warning from here.
    public static let nearDuplicateScore = 0.9

    public static func findings(_ cases: [QACaseFacts]) -> [QAFinding] {
        var out: [QAFinding] = []
        var firstByHash: [String: String] = [:]
        var identical = Set<[String]>()
        for f in cases {
            if let other = firstByHash[f.voxelHash] {
                identical.insert([other, f.id])
                out.append(QAFinding(f.id, "\(check): identical", .error, measured: "same voxel data as case \(other) (hash \(f.voxelHash))",
                                     expected: "unique voxel data",
                                     action: "The same scan twice (another header or folder): keep one copy, and never one in training and one in testing."))
            } else {
                firstByHash[f.voxelHash] = f.id
            }
        }
        let prepared = cases.map { QAFingerprintMatch.Prepared($0.fingerprint) }
        let n = cases.count
        let pairs = n < 2 ? [] : (0..<(n - 1)).flatMap { a in ((a + 1)..<n).map { (a, $0) } }
        nonisolated(unsafe) var matches = [QAMatch?](repeating: nil, count: pairs.count)
        matches.withUnsafeMutableBufferPointer { m in
            nonisolated(unsafe) let m = m
            Parallel.perform(iterations: pairs.count) { p in
                let (a, b) = pairs[p]
                if identical.contains([cases[a].id, cases[b].id]) { return }
                m[p] = QAFingerprintMatch.match(prepared[a], prepared[b])
            }
        }
        for (p, match) in matches.enumerated() {
            guard let match, match.score >= nearDuplicateScore else { continue }
            let (a, b) = pairs[p]
            out.append(QAFinding(cases[b].id, "\(check): near-duplicate", .warning,
                                 measured: "fingerprint correlation \(QAFormat.f(match.score, 3)) with case \(cases[a].id) (\(describe(match)), \(QAFormat.pct(min(1, match.overlap))) of the smaller body overlapping)",
                                 expected: "correlation < \(QAFormat.f(nearDuplicateScore, 2)) with every other case",
                                 action: "Most likely the same scan cropped, flipped or re-headed: compare the two, keep one, and keep them out of different splits."))
        }
        return out
    }

    static func describe(_ m: QAMatch) -> String {
        let names = ["i", "j", "k"]
        let identityAxes = m.permutation == [0, 1, 2]
        let flipped = m.flips.enumerated().filter { $0.element }.map { names[$0.offset] }
        var parts: [String] = []
        if !identityAxes { parts.append("axes i,j,k onto " + m.permutation.map { names[$0] }.joined(separator: ",")) }
        parts.append(flipped.isEmpty ? "no flip" : "flipped along " + flipped.joined(separator: ", "))
        return parts.joined(separator: ", ")
    }
}
