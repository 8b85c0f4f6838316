import Foundation
import LiTSCore

// Histogram equalization and CLAHE, replicating scikit-image 0.26 (numpy 2.4) operation by
// operation, including its float32/float64 conversions and roundings, so that the results are
// bit-identical to scikit-image's float32 outputs (checked against Fixtures/equalization.json,
// made by scripts/make_equalization_fixture.py).

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

    // MARK: numpy.histogram (uniform bins, float32 data)

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

/// Contrast-limited adaptive histogram equalization: `skimage.exposure.equalize_adapthist`.
public enum CLAHE {
    /// scikit-image's levels: images are quantised to 14 bits before binning.
    public static let grayLevels = 1 << 14

    /// scikit-image's `exposure.equalize_adapthist(image, kernel_size, clip_limit, nbins)` for a
    /// float32 2D image in [0, 1] (`width` columns, `height` rows, row-major). `kernelSize` nil is
    /// scikit-image's default, (height / 8, width / 8) with at least 1.
    ///
    /// Step by step as scikit-image 0.26: `img_as_uint` (float32 x 65535, round half to even,
    /// clip), `rescale_intensity` of that to [0, 16383] in float64 and rounded half to even;
    /// reflect-padding to whole tiles with half a kernel before; each tile's histogram of
    /// `value // (1 + 16384 // bins)`; clipping at `max(1, int(clipLimit * kernel area))` with
    /// scikit-image's redistribution of the excess; the mapping `int(min(cumsum * 16383 / area,
    /// 16383))`; bilinear interpolation of the four neighbouring tile mappings with weights
    /// (col / kc, row / kr) in float64, each term cast to float32 and summed in float32, the sum
    /// truncated to an integer; and finally `rescale_intensity` of those integers to [0, 1] in
    /// float32 (a constant result, as from a constant image, is clipped to [0, 1] instead, which
    /// gives 1).
    /// Values outside [0, 1] are clipped (scikit-image raises for values outside [-1, 1] and
    /// clips [-1, 0) to 0); NaN counts as 0.
    public static func apply(_ values: [Float], width: Int, height: Int, kernelSize: (rows: Int, cols: Int)? = nil,
                             clipLimit: Double = 0.01, bins: Int = 256) -> [Float] {
        precondition(width >= 1 && height >= 1 && values.count == width * height, "values must hold width x height pixels")
        return values.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: src.count) { out, n in
                var scratch = [UInt16](repeating: 0, count: src.count)
                scratch.withUnsafeMutableBufferPointer { sc in
                    apply(src, width: width, height: height, kernelSize: kernelSize, clipLimit: clipLimit, bins: bins,
                          scratch: sc, into: out)
                }
                n = src.count
            }
        }
    }

    /// The same into `out` (which may be the input itself), with a scratch buffer of
    /// width x height 16-bit values.
    static func apply(_ src: UnsafeBufferPointer<Float>, width: Int, height: Int, kernelSize: (rows: Int, cols: Int)?,
                      clipLimit: Double, bins: Int, scratch q: UnsafeMutableBufferPointer<UInt16>,
                      into out: UnsafeMutableBufferPointer<Float>) {
        precondition(bins >= 1, "bins must be at least 1")
        let kr = kernelSize?.rows ?? max(height / 8, 1)
        let kc = kernelSize?.cols ?? max(width / 8, 1)
        precondition(kr >= 1 && kc >= 1, "kernel size must be at least 1")
        let count = width * height
        precondition(src.count == count && out.count == count && q.count == count)
        let levels = grayLevels

        // 1. img_as_uint: float32 multiply by 65535, rint (half to even), clip. Adding and
        //    subtracting 2^23 rounds a float32 in [0, 2^23) to an integer, half to even, exactly.
        var umin = UInt16.max, umax = UInt16.min
        let magic: Float = 8_388_608
        for i in 0..<count {
            var x = src[i] * 65535
            x = x > 0 ? x : 0            // NaN too
            x = x < 65535 ? x : 65535
            let u = UInt16((x + magic) - magic)
            q[i] = u
            umin = u < umin ? u : umin
            umax = u > umax ? u : umax
        }
        // 2. rescale_intensity(out_range=(0, 16383)) in float64, np.round, then `value // bin_size`
        //    (at most 16383, so it stays 16-bit). The result depends on the 16-bit value only: a
        //    table filled on first use.
        let binSize = 1 + levels / bins
        do {
            let lo = Double(umin), span = Double(umax) - Double(umin)
            let top = Double(levels - 1)
            var lut = [Int32](repeating: -1, count: Int(umax) + 1)
            lut.withUnsafeMutableBufferPointer { lut in
                for i in 0..<count {
                    let u = Int(q[i])
                    if lut[u] < 0 {
                        let d = Double(u)
                        let r = span > 0 ? ((d - lo) / span * top).rounded(.toNearestOrEven) : min(d, top)
                        lut[u] = Int32(Int(r) / binSize)
                    }
                    q[i] = UInt16(truncatingIfNeeded: lut[u])
                }
            }
        }

        // 3. Tiles: ceil(size / kernel) per axis, covering [0, m * k) of the image; the part
        //    beyond the image comes from numpy's 'reflect' padding.
        let mr = (height + kr - 1) / kr, mc = (width + kc - 1) / kc
        let rowSrc = (0..<(mr * kr)).map { reflect($0, height) }
        let colSrc = (0..<(mc * kc)).map { reflect($0, width) }
        let area = kr * kc
        let clim: Int
        if clipLimit > 0 {
            let c = max(clipLimit * Double(area), 1)
            clim = c >= Double(Int.max) ? Int.max : Int(c)
        } else {
            clim = area
        }
        let scale = Double(levels - 1) / Double(area)
        var maps = [Double](repeating: 0, count: mr * mc * bins)
        // Two interleaved sets of counters (even and odd columns): runs of one bin (air) would
        // otherwise serialise the increments.
        var hist = [Int32](repeating: 0, count: 2 * mc * bins)
        var th = [Int](repeating: 0, count: bins)
        let b = UnsafeBufferPointer(q)
        for ty in 0..<mr {
            hist.withUnsafeMutableBufferPointer { h in
                for i in 0..<h.count { h[i] = 0 }
                let odd = mc * bins
                colSrc.withUnsafeBufferPointer { cs in
                    for y in (ty * kr)..<((ty + 1) * kr) {
                        let row = rowSrc[y] * width
                        for tx in 0..<mc {
                            let base = tx * bins
                            var x = tx * kc
                            let end = x + kc
                            while x + 1 < end {
                                h[base + Int(b[row + cs[x]])] &+= 1
                                h[odd + base + Int(b[row + cs[x + 1]])] &+= 1
                                x += 2
                            }
                            if x < end { h[base + Int(b[row + cs[x]])] &+= 1 }
                        }
                    }
                }
            }
            for tx in 0..<mc {
                for i in 0..<bins { th[i] = Int(hist[tx * bins + i]) + Int(hist[(mc + tx) * bins + i]) }
                clipHistogram(&th, clipLimit: clim)
                // map_histogram: float64 cumsum * (16383 / area), clipped above, to int.
                var cum = 0
                let base = (ty * mc + tx) * bins
                for i in 0..<bins {
                    cum += th[i]
                    maps[base + i] = min(Double(cum) * scale, Double(levels - 1)).rounded(.towardZero)
                }
            }
        }

        // 4. Bilinear interpolation of the mappings, in place in the scratch buffer. Blocks of
        //    kr x kc start half a kernel before the image; block b uses tiles b - 1 and b
        //    (clamped), weights r / k in float64.
        let colW = (0..<kc).map { Double($0) / Double(kc) }
        let rowW = (0..<kr).map { Double($0) / Double(kr) }
        var colTile0 = [Int](repeating: 0, count: width), colTile1 = colTile0
        var cw = [Double](repeating: 0, count: width), icw = cw
        for x in 0..<width {
            let p = x + kc / 2, bc = p / kc, c = p % kc
            colTile0[x] = min(max(bc - 1, 0), mc - 1) * bins
            colTile1[x] = min(max(bc, 0), mc - 1) * bins
            cw[x] = colW[c]; icw[x] = 1 - colW[c]
        }
        var rmin = UInt16.max, rmax = UInt16.min
        maps.withUnsafeBufferPointer { mp in
        colTile0.withUnsafeBufferPointer { ct0 in
        colTile1.withUnsafeBufferPointer { ct1 in
        cw.withUnsafeBufferPointer { cw in
        icw.withUnsafeBufferPointer { icw in
            for y in 0..<height {
                let p = y + kr / 2, br = p / kr, r = p % kr
                let wr = rowW[r], iwr = 1 - rowW[r]
                let m0 = mp.baseAddress! + min(max(br - 1, 0), mr - 1) * mc * bins
                let m1 = mp.baseAddress! + min(max(br, 0), mr - 1) * mc * bins
                let o = y * width
                for x in 0..<width {
                    let v = Int(q[o + x])
                    let a0 = ct0[x] + v, a1 = ct1[x] + v
                    // numpy's edge order (0,0), (0,1), (1,0), (1,1) as (row, col); weight = col * row.
                    var s = Float(m0[a0] * (icw[x] * iwr))
                    s += Float(m0[a1] * (cw[x] * iwr))
                    s += Float(m1[a0] * (icw[x] * wr))
                    s += Float(m1[a1] * (cw[x] * wr))
                    let u = UInt16(s)   // float32 -> uint16 truncates
                    q[o + x] = u
                    rmin = u < rmin ? u : rmin
                    rmax = u > rmax ? u : rmax
                }
            }
        }}}}}

        // 5. rescale_intensity to [0, 1] in float32: (v - min) / (max - min); a constant is
        //    clipped to [0, 1] instead. Only integers in [rmin, rmax] occur: tabulate.
        if rmin == rmax {
            let c = min(Float(rmin), 1)
            for i in 0..<count { out[i] = c }
            return
        }
        let span = Float(rmax) - Float(rmin)
        let table = (0...Int(rmax - rmin)).map { Float($0) / span }
        table.withUnsafeBufferPointer { t in
            for i in 0..<count { out[i] = t[Int(q[i] &- rmin)] }
        }
    }

    /// numpy's `np.pad(mode='reflect')` source index for position `y` (may be outside [0, n)).
    static func reflect(_ y: Int, _ n: Int) -> Int {
        if n == 1 { return 0 }
        let p = 2 * (n - 1)
        var t = y % p
        if t < 0 { t += p }
        return t >= n ? p - t : t
    }

    /// scikit-image's `clip_histogram`, integer for integer, including its redistribution loop.
    static func clipHistogram(_ hist: inout [Int], clipLimit: Int) {
        let n = hist.count
        var nExcess = 0
        for i in 0..<n where hist[i] > clipLimit {
            nExcess += hist[i] - clipLimit
            hist[i] = clipLimit
        }
        let binIncr = nExcess / n            // both non-negative: floor division
        let upper = clipLimit - binIncr
        // low_mask is taken before the increment, mid_mask after it.
        var low = [Bool](repeating: false, count: n)
        for i in 0..<n where hist[i] < upper { low[i] = true }
        for i in 0..<n where low[i] {
            nExcess -= binIncr
            hist[i] += binIncr
        }
        for i in 0..<n where hist[i] >= upper && hist[i] < clipLimit {
            nExcess += hist[i] - clipLimit
            hist[i] = clipLimit
        }
        var under = 0
        for i in 0..<n where hist[i] < clipLimit { under += 1 }
        while nExcess > 0 {
            let prev = nExcess
            for index in 0..<n {
                let step = max(1, under / nExcess)
                // The mask is taken before any increment of this pass; each bin is visited once.
                var i = index, added = 0
                while i < n {
                    if hist[i] < clipLimit {
                        hist[i] += 1
                        added += 1
                        if hist[i] == clipLimit { under -= 1 }
                    }
                    i += step
                }
                nExcess -= added
                if nExcess <= 0 { break }
            }
            if prev == nExcess { break }
        }
    }
}

// MARK: Volumes

extension HUWindow {
    /// Clip to the window and scale to [0, 1] as float32: (v - low) / (high - low).
    @inline(__always)
    fileprivate func scaledToUnit(_ v: Float) -> Float {
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
        let out = [Float](unsafeUninitializedCapacity: v.count) { dst, n in
            HugePages.advise(UnsafeMutableRawPointer(dst.baseAddress), bytes: v.count * 4)
            v.voxels.withUnsafeBufferPointer { src in
                mask.withUnsafeBufferPointerIfPresent { mp in
                    let s = src.baseAddress!, d = dst.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: nz) { k in
                        // Window into the output slice, then equalize it in place.
                        let o = UnsafeMutableBufferPointer(start: d + k * plane, count: plane)
                        for i in 0..<plane { o[i] = window.scaledToUnit(s[k * plane + i]) }
                        let m = mp.map { UnsafeBufferPointer(rebasing: $0[(k * plane)..<((k + 1) * plane)]) }
                        equalize(UnsafeBufferPointer(o), bins: bins, mask: m, into: o)
                    }
                }
            }
            n = v.count
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
        let out = [Float](unsafeUninitializedCapacity: count) { dst, n in
            HugePages.advise(UnsafeMutableRawPointer(dst.baseAddress), bytes: count * 4)
            n = count
            let d = dst.baseAddress!
            v.voxels.withUnsafeBufferPointer { src in
            mask.withUnsafeBufferPointerIfPresent { mp in
                // 1. Window into the output, with the range of each chunk (a slice).
                var ranges = [(min: Float, max: Float)?](repeating: nil, count: chunks)
                ranges.withUnsafeMutableBufferPointer { rb in
                    let r = rb.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: chunks) { c in
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
                    DispatchQueue.concurrentPerform(iterations: chunks) { c in
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
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
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

extension CLAHE {
    /// CLAHE of every axial slice (nx columns i, ny rows j) after clipping the HU values to
    /// `window` and scaling them to [0, 1]; slices run in parallel.
    public static func perSlice(_ v: Volume<Float>, window: HUWindow, kernelSize: (rows: Int, cols: Int)? = nil,
                                clipLimit: Double = 0.01, bins: Int = 256) -> Volume<Float> {
        let nx = v.shape[0], ny = v.shape[1], plane = nx * ny
        guard plane > 0, v.count > 0 else { return v }
        let nz = v.count / plane
        let out = [Float](unsafeUninitializedCapacity: v.count) { dst, n in
            HugePages.advise(UnsafeMutableRawPointer(dst.baseAddress), bytes: v.count * 4)
            v.voxels.withUnsafeBufferPointer { src in
                let s = src.baseAddress!, d = dst.baseAddress!
                DispatchQueue.concurrentPerform(iterations: nz) { k in
                    let o = UnsafeMutableBufferPointer(start: d + k * plane, count: plane)
                    for i in 0..<plane { o[i] = window.scaledToUnit(s[k * plane + i]) }
                    var scratch = [UInt16](repeating: 0, count: plane)
                    scratch.withUnsafeMutableBufferPointer { sc in
                        apply(UnsafeBufferPointer(o), width: nx, height: ny, kernelSize: kernelSize, clipLimit: clipLimit,
                              bins: bins, scratch: sc, into: o)
                    }
                }
            }
            n = v.count
        }
        return Volume(grid: v.grid, voxels: out)
    }
}
