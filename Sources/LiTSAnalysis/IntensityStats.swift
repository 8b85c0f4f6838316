import Foundation

/// HU statistics of one class of voxels (body, liver or tumor).
public struct IntensityStats: Codable, Equatable, Sendable {
    public static let percentileLevels: [Double] = [0.5, 5, 25, 50, 75, 95, 99.5]

    public var voxels: Int
    public var mean: Double
    public var std: Double
    public var min: Double
    public var max: Double
    /// Keyed by level as text ("0.5", "5", ... "99.5").
    public var percentiles: [String: Double]
    /// "exact" (numpy's linear interpolation on all voxels) or "1-HU bins" (error below 1 HU).
    public var method: String

    public static func key(_ p: Double) -> String {
        p == p.rounded() ? String(Int(p)) : String(p)
    }

    public func percentile(_ p: Double) -> Double? { percentiles[IntensityStats.key(p)] }

    /// From a histogram alone: exact for integer HU, within 1 HU otherwise.
    public init?(histogram h: HUHistogram) {
        guard h.count > 0 else { return nil }
        voxels = h.count
        mean = h.mean
        std = h.std
        min = Double(h.minimum)
        max = Double(h.maximum)
        percentiles = Dictionary(uniqueKeysWithValues: IntensityStats.percentileLevels.map { (IntensityStats.key($0), h.percentile($0)) })
        method = h.integerValued && h.outOfRange == 0 ? "exact" : "1-HU bins"
    }

    /// Exact percentiles: the histogram locates the bins holding the needed ranks, and `collect`
    /// (a second pass over the voxels) gathers only the values falling in those bins.
    public init?(histogram h: HUHistogram, collect: (Set<Int>) -> [Float]) {
        guard var stats = IntensityStats(histogram: h) else { return nil }
        if stats.method != "exact" {
            var ranks: [Int: (Int, Int, Double)] = [:]
            for p in IntensityStats.percentileLevels {
                let pos = p / 100 * Double(h.count - 1)
                let lo = Int(pos.rounded(.down))
                ranks[Int(p * 10)] = (lo, Swift.min(lo + 1, h.count - 1), pos - Double(lo))
            }
            let needed = ranks.values.flatMap { [$0.0, $0.1] }
            let bins = h.bins(holdingRanks: needed)
            let values = collect(bins).sorted()
            // Rank of the first value of each selected bin among all values.
            var firstRank: [Int: Int] = [:]
            var seen = 0
            for b in 0..<h.counts.count where h.counts[b] > 0 {
                if bins.contains(b) { firstRank[b] = seen }
                seen += h.counts[b]
            }
            // Offsets of each bin's values inside the sorted `values` array.
            var offset: [Int: Int] = [:]
            var running = 0
            for b in bins.sorted() { offset[b] = running; running += h.counts[b] }
            func value(atRank r: Int) -> Double {
                var s = 0
                for b in 0..<h.counts.count where h.counts[b] > 0 {
                    if r < s + h.counts[b] { return Double(values[offset[b]! + (r - firstRank[b]!)]) }
                    s += h.counts[b]
                }
                return stats.max
            }
            if values.count == running {
                for p in IntensityStats.percentileLevels {
                    let (lo, hi, frac) = ranks[Int(p * 10)]!
                    let a = value(atRank: lo), b = value(atRank: hi)
                    stats.percentiles[IntensityStats.key(p)] = a + (b - a) * frac
                }
                stats.method = "exact"
            }
        }
        self = stats
    }
}
