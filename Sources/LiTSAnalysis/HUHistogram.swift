import Foundation

/// A histogram of HU values in 1-HU bins, with exact count, sum, sum of squares, minimum and
/// maximum. Histograms of different cases merge by adding, which is what makes dataset-level
/// statistics (and `lits eda merge`) possible without keeping any voxel.
public struct HUHistogram: Equatable, Sendable {
    /// Bin b holds values in [lowest + b, lowest + b + 1); values outside the range are counted
    /// in the first or last bin and in `outOfRange`.
    public static let lowest = -3072
    public static let highest = 4096
    public static var binCount: Int { highest - lowest }

    public private(set) var counts: [Int]
    public private(set) var count = 0
    public private(set) var sum = 0.0
    public private(set) var sumSquares = 0.0
    public private(set) var minimum = Float.infinity
    public private(set) var maximum = -Float.infinity
    public private(set) var outOfRange = 0
    /// Whether every value was a whole number: then each bin holds a single value and percentiles
    /// from the histogram are exact.
    public private(set) var integerValued = true

    public init() {
        counts = [Int](repeating: 0, count: HUHistogram.binCount)
    }

    /// floor(v) as an Int, clamped to +-1e9 first: Int() of a float beyond Int's range traps, and
    /// a file may hold any finite float.
    @inline(__always) public static func floorInt(_ v: Float) -> Int {
        Int(max(-1e9, min(1e9, v)).rounded(.down))
    }

    @inline(__always) public static func bin(of v: Float) -> Int {
        let b = floorInt(v) - lowest
        return b < 0 ? 0 : (b >= binCount ? binCount - 1 : b)
    }

    /// Adds many values at once (the hot path: no per-value exclusivity or copy-on-write checks).
    public mutating func add(_ values: UnsafeBufferPointer<Float>, where include: (Int) -> Bool) {
        var c = 0, out = 0, integers = integerValued
        var s = 0.0, s2 = 0.0, lo = minimum, hi = maximum
        counts.withUnsafeMutableBufferPointer { bins in
            for n in 0..<values.count where include(n) {
                let v = values[n]
                let raw = HUHistogram.floorInt(v) - HUHistogram.lowest
                let b: Int
                if raw < 0 { b = 0; out += 1 } else if raw >= HUHistogram.binCount { b = HUHistogram.binCount - 1; out += 1 } else { b = raw }
                bins[b] += 1
                c += 1
                let d = Double(v)
                s += d
                s2 += d * d
                lo = v < lo ? v : lo
                hi = v > hi ? v : hi
                if integers && Float(raw + HUHistogram.lowest) != v { integers = false }
            }
        }
        count += c; outOfRange += out; sum += s; sumSquares += s2; minimum = lo; maximum = hi; integerValued = integers
    }

    @inline(__always) public mutating func add(_ v: Float) {
        let raw = HUHistogram.floorInt(v) - HUHistogram.lowest
        if raw < 0 || raw >= HUHistogram.binCount { outOfRange += 1 }
        counts[HUHistogram.bin(of: v)] += 1
        count += 1
        let d = Double(v)
        sum += d
        sumSquares += d * d
        if v < minimum { minimum = v }
        if v > maximum { maximum = v }
        if integerValued && v != v.rounded() { integerValued = false }
    }

    public mutating func merge(_ other: HUHistogram) {
        for b in 0..<counts.count { counts[b] += other.counts[b] }
        count += other.count
        sum += other.sum
        sumSquares += other.sumSquares
        minimum = min(minimum, other.minimum)
        maximum = max(maximum, other.maximum)
        outOfRange += other.outOfRange
        integerValued = integerValued && other.integerValued
    }

    public var mean: Double { count > 0 ? sum / Double(count) : .nan }

    /// Population standard deviation (numpy's default, ddof = 0).
    public var std: Double {
        guard count > 0 else { return .nan }
        let m = mean
        return max(0, sumSquares / Double(count) - m * m).squareRoot()
    }

    /// The value of rank r (0-based) in sorted order: exact for integer-valued data; otherwise
    /// values are taken as evenly spread inside their 1-HU bin (error below 1 HU).
    public func value(atRank r: Int) -> Double {
        precondition(r >= 0 && r < count, "rank out of range")
        var seen = 0
        for b in 0..<counts.count where counts[b] > 0 {
            if r < seen + counts[b] {
                let edge = Double(HUHistogram.lowest + b)
                if integerValued && outOfRange == 0 { return edge }
                let within = (Double(r - seen) + 0.5) / Double(counts[b])
                return min(max(edge + within, Double(minimum)), Double(maximum))
            }
            seen += counts[b]
        }
        return Double(maximum)
    }

    /// numpy's `percentile` with linear interpolation between the two nearest ranks.
    public func percentile(_ p: Double) -> Double {
        guard count > 0 else { return .nan }
        let pos = p / 100 * Double(count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, count - 1)
        let a = value(atRank: lo), b = value(atRank: hi)
        return a + (b - a) * (pos - Double(lo))
    }

    /// The bins that hold ranks `ranks`, for an exact second pass over the voxels.
    public func bins(holdingRanks ranks: [Int]) -> Set<Int> {
        var out = Set<Int>()
        var seen = 0
        var sorted = ranks.sorted()[...]
        for b in 0..<counts.count where counts[b] > 0 {
            while let r = sorted.first, r < seen + counts[b] {
                out.insert(b)
                sorted = sorted.dropFirst()
            }
            seen += counts[b]
        }
        return out
    }
}

extension HUHistogram: Codable {
    // Stored sparsely: the first non-empty bin and the counts up to the last non-empty one.
    enum CodingKeys: String, CodingKey {
        case firstBinHU, counts, count, sum, sumSquares, minimum, maximum, outOfRange, integerValued
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        let first = try c.decode(Int.self, forKey: .firstBinHU) - HUHistogram.lowest
        let stored = try c.decode([Int].self, forKey: .counts)
        guard first >= 0, first + stored.count <= HUHistogram.binCount else {
            throw DecodingError.dataCorruptedError(forKey: .counts, in: c, debugDescription: "histogram bins out of range")
        }
        for (n, v) in stored.enumerated() { counts[first + n] = v }
        count = try c.decode(Int.self, forKey: .count)
        sum = try c.decode(Double.self, forKey: .sum)
        sumSquares = try c.decode(Double.self, forKey: .sumSquares)
        minimum = try c.decodeIfPresent(Float.self, forKey: .minimum) ?? .infinity
        maximum = try c.decodeIfPresent(Float.self, forKey: .maximum) ?? -.infinity
        outOfRange = try c.decode(Int.self, forKey: .outOfRange)
        integerValued = try c.decode(Bool.self, forKey: .integerValued)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let first = counts.firstIndex { $0 > 0 } ?? 0
        let last = counts.lastIndex { $0 > 0 } ?? -1
        try c.encode(HUHistogram.lowest + first, forKey: .firstBinHU)
        try c.encode(last >= first ? Array(counts[first...last]) : [], forKey: .counts)
        try c.encode(count, forKey: .count)
        try c.encode(sum, forKey: .sum)
        try c.encode(sumSquares, forKey: .sumSquares)
        if count > 0 {
            try c.encode(minimum, forKey: .minimum)
            try c.encode(maximum, forKey: .maximum)
        }
        try c.encode(outOfRange, forKey: .outOfRange)
        try c.encode(integerValued, forKey: .integerValued)
    }
}
