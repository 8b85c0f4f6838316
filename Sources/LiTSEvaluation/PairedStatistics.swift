import Foundation
import LiTSCore

/// Statistics of paired differences (one per case): the mean with a percentile-bootstrap
/// interval and the two-sided Wilcoxon signed-rank p as scipy.stats.wilcoxon computes it with its
/// defaults (scipy 1.17: zero_method 'wilcox', correction False, method 'auto').
public enum PairedStatistics {
    public static let resamples = 10_000
    public static let seed: UInt64 = 27

    /// Mean, 95% percentile-bootstrap interval and Wilcoxon p of `d`; nil fields where undefined
    /// (no pairs; p also when every difference is zero and n > 13, as scipy gives NaN).
    public struct Summary: Sendable, Equatable {
        public var n: Int
        public var mean: Double?
        public var low: Double?, high: Double?
        public var p: Double?
        public var method: WilcoxonMethod?
    }

    /// How the p was found, as scipy's `method='auto'` chooses.
    public enum WilcoxonMethod: String, Sendable {
        case exact, permutation, asymptotic
    }

    public static func summary(_ d: [Double]) -> Summary {
        guard !d.isEmpty else { return Summary(n: 0) }
        let ci = bootstrapInterval(d)
        let w = wilcoxon(d)
        return Summary(n: d.count, mean: mean(d), low: ci.low, high: ci.high, p: w?.p, method: w?.method)
    }

    /// Summed in order, then divided (the bootstrap's means are summed the same way).
    public static func mean(_ x: [Double]) -> Double {
        var s = 0.0
        for v in x { s += v }
        return s / Double(x.count)
    }

    /// Percentile bootstrap of the mean: `resamples` samples of n cases drawn with replacement
    /// (index = high 64 bits of SplitMix64(seed).next() * n, n draws per sample, samples in
    /// turn), each sample's mean summed in draw order; the interval is the 2.5th and 97.5th
    /// percentiles of those means with linear interpolation between order statistics (numpy's
    /// default percentile). Each call starts from `seed`, so a metric's interval does not
    /// depend on which others were computed before it.
    public static func bootstrapInterval(_ d: [Double], resamples: Int = resamples, seed: UInt64 = seed,
                                         level: Double = 0.95) -> (low: Double, high: Double) {
        var rng = SeededGenerator(seed: seed)
        var means = [Double](repeating: 0, count: resamples)
        for b in 0..<resamples {
            var s = 0.0
            for _ in 0..<d.count { s += d[rng.index(below: d.count)] }
            means[b] = s / Double(d.count)
        }
        means.sort()
        let tail = (1 - level) / 2
        return (percentile(means, tail * 100), percentile(means, (1 - tail) * 100))
    }

    /// numpy.percentile's 'linear' method on sorted values.
    public static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q / 100
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        let g = h - Double(lo)
        return sorted[lo] + g * (sorted[hi] - sorted[lo])
    }

    /// Two-sided Wilcoxon signed-rank p of `d` as scipy.stats.wilcoxon(d) gives it (nil where
    /// scipy gives NaN). Zero differences are dropped from the ranks ('wilcox'); |d| are ranked
    /// with ties averaged. n counts the zeros: n > 50 uses the normal approximation without
    /// continuity correction, tie-corrected variance; n <= 50 without ties or zeros the exact
    /// null distribution; with ties or zeros, n <= 13 the exact sign-flip permutation
    /// distribution of the statistic (scipy's permutation_test then enumerates all 2^n), larger
    /// n the normal approximation.
    public static func wilcoxon(_ d: [Double]) -> (p: Double, method: WilcoxonMethod)? {
        guard !d.isEmpty else { return nil }
        let nonzero = d.filter { $0 != 0 }
        let zeros = d.count - nonzero.count
        let (ranks, tieGroups) = averageRanks(nonzero.map(abs))
        let hasTies = tieGroups.contains { $0 > 1 }
        var rPlus = 0.0
        for (x, r) in zip(nonzero, ranks) where x > 0 { rPlus += r }
        if d.count <= 50 && !hasTies && zeros == 0 {
            return (exactP(rPlus: rPlus, n: nonzero.count), .exact)
        }
        if d.count <= 13 {
            return (permutationP(rPlus: rPlus, ranks: ranks), .permutation)
        }
        let n = Double(nonzero.count)
        let mn = n * (n + 1) / 4
        let tie = tieGroups.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
        let se = ((n * (n + 1) * (2 * n + 1) - tie / 2) / 24).squareRoot()
        let z = (rPlus - mn) / se
        guard z.isFinite else { return nil }
        return (min(1, erfc(abs(z) / 2.0.squareRoot())), .asymptotic)
    }

    /// Average ranks (1-based) of `x` and the sizes of its groups of equal values.
    static func averageRanks(_ x: [Double]) -> ([Double], [Int]) {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var ranks = [Double](repeating: 0, count: x.count), groups: [Int] = []
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            for k in i...j { ranks[order[k]] = Double(i + j + 2) / 2 }
            groups.append(j - i + 1)
            i = j + 1
        }
        return (ranks, groups)
    }

    /// Exact null distribution of the signed-rank statistic for n distinct ranks: counts of
    /// subsets of 1...n by sum. p = 2 min(P(T >= r), P(T <= r)), at most 1.
    static func exactP(rPlus: Double, n: Int) -> Double {
        let counts = subsetSumCounts(Array(1...n))
        return twoSided(counts, observed: Int(rPlus.rounded()), total: n)
    }

    /// Sign-flip permutation distribution for ranks that may be halves (ties): sums in half
    /// units. Zero differences flip to themselves, so they scale every count alike and drop out.
    static func permutationP(rPlus: Double, ranks: [Double]) -> Double {
        let counts = subsetSumCounts(ranks.map { Int(($0 * 2).rounded()) })
        return twoSided(counts, observed: Int((rPlus * 2).rounded()), total: ranks.count)
    }

    /// counts[s] = how many subsets of `values` sum to s.
    static func subsetSumCounts(_ values: [Int]) -> [Double] {
        var counts = [Double](repeating: 0, count: values.reduce(0, +) + 1)
        counts[0] = 1
        var top = 0
        for v in values {
            for s in stride(from: top, through: 0, by: -1) where counts[s] > 0 { counts[s + v] += counts[s] }
            top += v
        }
        return counts
    }

    static func twoSided(_ counts: [Double], observed: Int, total: Int) -> Double {
        let all = pow(2, Double(total))
        var below = 0.0, above = 0.0
        for (s, c) in counts.enumerated() {
            if s <= observed { below += c }
            if s >= observed { above += c }
        }
        return min(1, 2 * min(below, above) / all)
    }
}
