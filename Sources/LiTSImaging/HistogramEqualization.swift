import Foundation
import LiTSCore

// Global histogram equalization (`skimage.exposure.equalize_hist`), per image and per volume,
// replicating scikit-image 0.26 (numpy 2.4) operation by operation, including its float32/float64
// conversions and roundings, so that the results are bit-identical to scikit-image's float32
// outputs (checked against Fixtures/equalization.json, made by scripts/make_equalization_fixture.py).
// The histogram itself is numpy's (Histogram.swift); CLAHE is in CLAHE.swift.

/// Global histogram equalization: `skimage.exposure.equalize_hist`.
public enum HistogramEqualization {
    /// scikit-image's `exposure.equalize_hist(image, nbins, mask)` for a float32 image (values
    /// usually already scaled to [0, 1], though any finite range works): returns values in [0, 1].
    ///
    /// Exactly as scikit-image: `np.histogram` with `bins` equal bins on [min, max] of the pixels
    /// that build the histogram (min - 0.5, max + 0.5 when they are equal, so a constant image maps
    /// to 0.5); the cumulative counts divided by the total, cast to float32; then every pixel is
    /// mapped by `np.interp(value, bin_centers, cdf)` in float64 and cast back to float32.
    /// `mask` (same count as `values`) restricts which pixels build the histogram; all pixels are
    /// mapped, those outside the masked range clamp to the first or last CDF value.
    /// Where scikit-image returns NaN (a mask that selects nothing: a 0/0 CDF), this returns zeros.
    /// Values must be finite, as scikit-image requires (it raises otherwise); NaN values are left
    /// out of the histogram and stay NaN.
    public static func equalize(_ values: [Float], bins: Int = 256, mask: [Bool]? = nil) -> [Float] {
        precondition(bins >= 1, "bins must be at least 1")
        if let mask { precondition(mask.count == values.count, "mask and values differ in count") }
        guard !values.isEmpty else { return [] }
        return values.withUnsafeBufferPointer { src in
            mask.withUnsafeBufferPointerIfPresent { mp in
                [Float](unsafeUninitializedCapacity: src.count) { out, n in
                    equalize(src, bins: bins, mask: mp, into: out)
                    n = src.count
                }
            }
        }
    }

    /// The same into `out` (same count; may be the input itself: each value is read before its
    /// result is written).
    static func equalize(_ src: UnsafeBufferPointer<Float>, bins: Int, mask: UnsafeBufferPointer<Bool>?,
                         into out: UnsafeMutableBufferPointer<Float>) {
        guard let range = range(src, mask: mask) else {
            for i in 0..<out.count { out[i] = 0 }
            return
        }
        let binner = Binner(first: range.min, last: range.max, bins: bins)
        var hist = [Int](repeating: 0, count: bins)
        binner.accumulate(src, mask: mask, into: &hist)
        CDFMapper(binner: binner, histogram: hist).map(src, into: out)
    }

    /// A direct-mapped cache from a float32's bits to a value computed from it.
    struct ValueCache<V> {
        static var size: Int { 4096 }
        var keys: [UInt32]
        var values: [V]
        init(key: Float, value: V) {
            keys = [UInt32](repeating: key.bitPattern, count: Self.size)
            values = [V](repeating: value, count: Self.size)
        }
        @inline(__always)
        mutating func value(for x: Float, _ compute: (Float) -> V) -> V {
            let bits = x.bitPattern
            let slot = Int(truncatingIfNeeded: (bits &* 0x9E37_79B1) >> 20)
            if keys[slot] == bits { return values[slot] }
            let v = compute(x)
            keys[slot] = bits
            values[slot] = v
            return v
        }
    }

    /// skimage's `cumulative_distribution` (float32 CDF) and `np.interp(x, bin_centers, cdf)`.
    struct CDFMapper {
        let xp: [Double]      // bin centres, computed in float32 as numpy does, widened
        let fp: [Double]      // CDF, rounded to float32, widened
        let slopes: [Double]
        let c0: Double, invStep: Double

        init(binner: Binner, histogram: [Int]) {
            let n = binner.bins
            let e = binner.edges
            var x = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let centre: Float = (e[i] + e[i + 1]) / 2   // float32, as numpy
                x[i] = Double(centre)
            }
            xp = x
            var cum = 0
            let total = histogram.reduce(0, +)
            var f = [Double](repeating: 0, count: n)
            for i in 0..<n {
                cum += histogram[i]
                f[i] = total > 0 ? Double(Float(Double(cum) / Double(total))) : 0
            }
            fp = f
            var s = [Double](repeating: 0, count: max(n - 1, 0))
            for i in 0..<max(n - 1, 0) {
                let dy: Double = f[i + 1] - f[i]
                let dx: Double = x[i + 1] - x[i]
                s[i] = dy / dx
            }
            slopes = s
            c0 = x[0]
            invStep = n > 1 ? Double(n - 1) / (x[n - 1] - x[0]) : 0
        }

        /// numpy's `interp` (compiled_base.c): below the first centre fp[0], above the last
        /// fp[-1], on a centre its value, else slope * (x - xp[j]) + fp[j] in float64.
        func map(_ v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
            let n = xp.count
            xp.withUnsafeBufferPointer { xp in
            fp.withUnsafeBufferPointer { fp in
            slopes.withUnsafeBufferPointer { sl in
                let lo = xp[0], hi = xp[n - 1], lval = fp[0], rval = fp[n - 1]
                @inline(__always) func interp(_ x: Double) -> Double {
                    if !(x >= lo) { return x.isNaN ? x : lval }
                    if x >= hi { return rval }
                    // Here n > 1 and lo <= x < hi: guess the interval, then correct it so that
                    // xp[j] <= x < xp[j + 1] exactly as numpy's binary search finds it.
                    let t = (x - c0) * invStep
                    var j = t < Double(n - 2) ? Int(t) : n - 2
                    while j > 0 && xp[j] > x { j -= 1 }
                    while j < n - 2 && xp[j + 1] <= x { j += 1 }
                    if xp[j] == x { return fp[j] }
                    var r = sl[j] * (x - xp[j]) + fp[j]
                    if r.isNaN {   // numpy: try from the other end, then a flat segment
                        r = sl[j] * (x - xp[j + 1]) + fp[j + 1]
                        if r.isNaN && fp[j] == fp[j + 1] { r = fp[j] }
                    }
                    return r
                }
                // Few distinct values in CT: cache value -> result (primed with the first value).
                guard v.count > 0 else { return }
                var cache = ValueCache<Float>(key: v[0], value: Float(interp(Double(v[0]))))
                for i in 0..<v.count {
                    out[i] = cache.value(for: v[i]) { Float(interp(Double($0))) }
                }
            }}}
        }
    }
}

extension Optional where Wrapped == [Bool] {
    fileprivate func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafeBufferPointer<Bool>?) throws -> R) rethrows -> R {
        switch self {
        case .none: return try body(nil)
        case .some(let a): return try a.withUnsafeBufferPointer { try body($0) }
        }
    }
}

// MARK: Volumes

extension HUWindow {
    /// Clip to the window and scale to [0, 1] as float32: (v - low) / (high - low).
    @inline(__always)
    func scaledToUnit(_ v: Float) -> Float {
        let c = v < low ? low : (v > high ? high : v)
        return (c - low) / (high - low)
    }
}

extension HistogramEqualization {
    /// Per axial slice, each with its own histogram: the HU values are clipped to `window` and
    /// scaled to [0, 1], then every slice k (nx * ny values) is equalized on its own. `mask`
    /// (one Bool per voxel, e.g. the body) restricts which voxels of each slice build that
    /// slice's histogram; a slice with no masked voxel becomes zeros.
    public static func perSlice(_ v: Volume<Float>, window: HUWindow, bins: Int = 256, mask: [Bool]? = nil) -> Volume<Float> {
        precondition(bins >= 1, "bins must be at least 1")
        if let mask { precondition(mask.count == v.count, "mask and volume differ in count") }
        let plane = v.shape[0] * v.shape[1]
        guard plane > 0, v.count > 0 else { return v }
        let nz = v.count / plane
        let out: [Float] = HugePages.array(count: v.count) { dst in
            v.voxels.withUnsafeBufferPointer { src in
                mask.withUnsafeBufferPointerIfPresent { mp in
                    let s = src.baseAddress!, d = dst.baseAddress!
                    Parallel.perform(iterations: nz) { k in
                        // Window into the output slice, then equalize it in place.
                        let o = UnsafeMutableBufferPointer(start: d + k * plane, count: plane)
                        for i in 0..<plane { o[i] = window.scaledToUnit(s[k * plane + i]) }
                        let m = mp.map { UnsafeBufferPointer(rebasing: $0[(k * plane)..<((k + 1) * plane)]) }
                        equalize(UnsafeBufferPointer(o), bins: bins, mask: m, into: o)
                    }
                }
            }
        }
        return Volume(grid: v.grid, voxels: out)
    }

    /// One histogram over the whole volume (only voxels where `mask` is true, e.g. the body,
    /// when given), after clipping to `window` and scaling to [0, 1]. The same result as
    /// `equalize` on all voxels at once; histogram and mapping run in parallel over slices.
    public static func wholeVolume(_ v: Volume<Float>, window: HUWindow, bins: Int = 256, mask: [Bool]? = nil) -> Volume<Float> {
        precondition(bins >= 1, "bins must be at least 1")
        if let mask { precondition(mask.count == v.count, "mask and volume differ in count") }
        let count = v.count
        guard count > 0 else { return v }
        let plane = max(v.shape[0] * v.shape[1], 1)
        let chunks = (count + plane - 1) / plane
        func chunk(_ c: Int) -> Range<Int> { (c * plane)..<min((c + 1) * plane, count) }
        let out: [Float] = HugePages.array(count: count) { dst in
            let d = dst.baseAddress!
            v.voxels.withUnsafeBufferPointer { src in
            mask.withUnsafeBufferPointerIfPresent { mp in
                // 1. Window into the output, with the range of each chunk (a slice).
                var ranges = [(min: Float, max: Float)?](repeating: nil, count: chunks)
                ranges.withUnsafeMutableBufferPointer { rb in
                    let r = rb.baseAddress!
                    Parallel.perform(iterations: chunks) { c in
                        let rg = chunk(c)
                        for i in rg { d[i] = window.scaledToUnit(src[i]) }
                        r[c] = range(UnsafeBufferPointer(start: d + rg.lowerBound, count: rg.count),
                                     mask: mp.map { UnsafeBufferPointer(rebasing: $0[rg]) })
                    }
                }
                let found = ranges.compactMap { $0 }
                guard let lo = found.map(\.min).min(), let hi = found.map(\.max).max() else {
                    for i in 0..<count { d[i] = 0 }   // empty mask: zeros
                    return
                }
                // 2. Histograms per chunk, summed (numpy's bin of a value does not depend on the chunk).
                let binner = Binner(first: lo, last: hi, bins: bins)
                var partial = [Int](repeating: 0, count: chunks * bins)
                partial.withUnsafeMutableBufferPointer { pb in
                    let p = pb.baseAddress!
                    Parallel.perform(iterations: chunks) { c in
                        let rg = chunk(c)
                        var h = [Int](repeating: 0, count: bins)
                        binner.accumulate(UnsafeBufferPointer(start: d + rg.lowerBound, count: rg.count),
                                          mask: mp.map { UnsafeBufferPointer(rebasing: $0[rg]) }, into: &h)
                        for b in 0..<bins { p[c * bins + b] = h[b] }
                    }
                }
                var hist = [Int](repeating: 0, count: bins)
                for c in 0..<chunks { for b in 0..<bins { hist[b] += partial[c * bins + b] } }
                // 3. Map in place.
                let mapper = CDFMapper(binner: binner, histogram: hist)
                Parallel.perform(iterations: chunks) { c in
                    let rg = chunk(c)
                    let o = UnsafeMutableBufferPointer(start: d + rg.lowerBound, count: rg.count)
                    mapper.map(UnsafeBufferPointer(o), into: o)
                }
            }
            }
        }
        return Volume(grid: v.grid, voxels: out)
    }
}
