import Foundation
import LiTSCore

// Contrast-limited adaptive histogram equalization (`skimage.exposure.equalize_adapthist`), per
// image and per volume, replicating scikit-image 0.26 operation by operation (its 14-bit
// quantisation, tile histograms, clipping and interpolation) so that the results are
// bit-identical to scikit-image's float32 outputs (Fixtures/equalization.json).

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

extension CLAHE {
    /// CLAHE of every axial slice (nx columns i, ny rows j) after clipping the HU values to
    /// `window` and scaling them to [0, 1]; slices run in parallel.
    public static func perSlice(_ v: Volume<Float>, window: HUWindow, kernelSize: (rows: Int, cols: Int)? = nil,
                                clipLimit: Double = 0.01, bins: Int = 256) -> Volume<Float> {
        let nx = v.shape[0], ny = v.shape[1], plane = nx * ny
        guard plane > 0, v.count > 0 else { return v }
        let nz = v.count / plane
        let out: [Float] = HugePages.array(count: v.count) { dst in
            v.voxels.withUnsafeBufferPointer { src in
                let s = src.baseAddress!, d = dst.baseAddress!
                Parallel.perform(iterations: nz) { k in
                    let o = UnsafeMutableBufferPointer(start: d + k * plane, count: plane)
                    for i in 0..<plane { o[i] = window.scaledToUnit(s[k * plane + i]) }
                    var scratch = [UInt16](repeating: 0, count: plane)
                    scratch.withUnsafeMutableBufferPointer { sc in
                        apply(UnsafeBufferPointer(o), width: nx, height: ny, kernelSize: kernelSize, clipLimit: clipLimit,
                              bins: bins, scratch: sc, into: o)
                    }
                }
            }
        }
        return Volume(grid: v.grid, voxels: out)
    }
}
