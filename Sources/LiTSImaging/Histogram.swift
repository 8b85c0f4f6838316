import Foundation
import LiTSCore

// numpy 2.4's `np.histogram` for float32 data with uniform bins, bin for bin (its linspace edges and
// its fast uniform-bin index with the one-ULP corrections), and the min/max scan that picks the
// range. HistogramEqualization.swift (images and volumes) builds its histograms with it.

extension HistogramEqualization {
    /// min and max of the (masked) values, nil when none is selected.
    static func range(_ v: UnsafeBufferPointer<Float>, mask: UnsafeBufferPointer<Bool>?) -> (min: Float, max: Float)? {
        var lo = Float.infinity, hi = -Float.infinity
        if let mask {
            var any = false
            for i in 0..<v.count where mask[i] {
                let x = v[i]
                lo = x < lo ? x : lo; hi = x > hi ? x : hi; any = true
            }
            return any ? (lo, hi) : nil
        }
        guard v.count > 0 else { return nil }
        let n16 = v.count / 8 * 8
        if n16 > 0 { (lo, hi) = simdMinMax(UnsafeBufferPointer(rebasing: v[0..<n16])) }
        for i in n16..<v.count {
            let x = v[i]
            lo = x < lo ? x : lo; hi = x > hi ? x : hi
        }
        return (lo, hi)
    }

    /// min and max of a count divisible by 8: two SIMD4 accumulators (kept out of line, where
    /// the compiler keeps the vector selects; SIMD8 compiles to shuffles on baseline x86-64).
    @inline(never)
    static func simdMinMax(_ v: UnsafeBufferPointer<Float>) -> (Float, Float) {
        var l0 = SIMD4<Float>(repeating: .infinity), h0 = SIMD4<Float>(repeating: -.infinity)
        var l1 = l0, h1 = h0
        guard let base = v.baseAddress else { return (.infinity, -.infinity) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= v.count {
            let x = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self)
            let y = raw.loadUnaligned(fromByteOffset: i * 4 + 16, as: SIMD4<Float>.self)
            l0.replace(with: x, where: x .< l0); h0.replace(with: x, where: x .> h0)
            l1.replace(with: y, where: y .< l1); h1.replace(with: y, where: y .> h1)
            i += 8
        }
        var lo = Float.infinity, hi = -Float.infinity
        for t in 0..<4 {
            lo = Swift.min(lo, l0[t], l1[t])
            hi = Swift.max(hi, h0[t], h1[t])
        }
        return (lo, hi)
    }

    /// numpy 2.4 `np.histogram(a, bins=n)` for float32 `a`: edges from `np.linspace(first, last,
    /// n + 1, dtype=float32)`, and numpy's fast uniform-bin index with its one-ULP corrections.
    struct Binner {
        let first: Float
        let last: Float
        let bins: Int
        let denom: Float
        let edges: [Float]

        init(first f: Float, last l: Float, bins: Int) {
            var (f, l) = (f, l)
            if f == l { f -= 0.5; l += 0.5 }   // numpy's expansion of an empty range (in float32)
            first = f; last = l; self.bins = bins
            denom = l - f
            // np.linspace(f, l, bins + 1, endpoint=True, dtype=float32): all in float32,
            // y = arange * step + start, last element set to stop.
            let div = Float(bins)
            let delta = l - f
            let step = delta / div
            var e = [Float](repeating: 0, count: bins + 1)
            for i in 0...bins {
                let y = step == 0 ? (Float(i) / div) * delta : Float(i) * step
                e[i] = y + f
            }
            e[bins] = l
            edges = e
        }

        /// The bin of a value in [first, last]: numpy computes `int((x - first) / denom * n)` and
        /// moves it by one where it disagrees with the edges, so its result is the bin whose edges
        /// hold x (e[b] <= x < e[b + 1], the last bin closed). Here the first guess uses a
        /// multiplication by the reciprocal (as close, and faster) and the same edge checks settle it.
        @inline(__always)
        func index(_ x: Float, _ e: UnsafePointer<Float>, _ scale: Float) -> Int {
            let t = (x - first) * scale          // >= 0; NaN or huge only for degenerate ranges
            var idx = t < Float(bins) ? Int(t) : bins - 1
            while idx > 0 && x < e[idx] { idx -= 1 }
            while idx < bins - 1 && x >= e[idx + 1] { idx += 1 }
            return idx
        }

        func accumulate(_ v: UnsafeBufferPointer<Float>, mask: UnsafeBufferPointer<Bool>?, into hist: inout [Int]) {
            let scale = Float(bins) / denom
            let (f, l) = (first, last)
            // CT slices hold few distinct values (integer HU, clipped air and bone): a small
            // direct-mapped cache of value -> bin (primed with `first`) saves the search, and two
            // sets of counters keep runs of one bin from serialising the increments.
            var h2 = [Int32](repeating: 0, count: 2 * bins)
            edges.withUnsafeBufferPointer { eb in
                let e = eb.baseAddress!
                var cache = ValueCache<Int32>(key: f, value: Int32(index(f, e, scale)))
                h2.withUnsafeMutableBufferPointer { h in
                    for i in 0..<v.count {
                        if let mask, !mask[i] { continue }
                        let x = v[i]
                        guard x >= f && x <= l else { continue }
                        let b = cache.value(for: x) { Int32(index($0, e, scale)) }
                        h[(i & 1) &* bins &+ Int(b)] &+= 1
                    }
                }
            }
            for b in 0..<bins { hist[b] += Int(h2[b]) + Int(h2[bins + b]) }
        }
    }
}
