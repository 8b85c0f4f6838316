// Sums over float arrays in Double, for the layers' statistics and gradients. Each function fixes
// its summation order (partial sums, blocks), which the results' bits depend on.

enum Sums {
    /// Values per Float block in `productSums(_:_:_:whereAbove0:_:)`, whose sums are then added
    /// in Double.
    static let maskedBlock = 256

    /// Sum of `count` floats in Double, in four interleaved partial sums (one running sum would
    /// wait on the adder's latency at every element).
    static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, i = 0
        while i + 4 <= count {
            s0 += Double(p[i]); s1 += Double(p[i + 1]); s2 += Double(p[i + 2]); s3 += Double(p[i + 3])
            i += 4
        }
        while i < count { s0 += Double(p[i]); i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// Sum of (p[i] - mean)^2 in Double, four partial sums as in `sum`.
    static func squaredDeviations(_ p: UnsafePointer<Float>, _ count: Int, from mean: Double) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, i = 0
        @inline(__always) func sq(_ v: Float) -> Double { let d = Double(v) - mean; return d * d }
        while i + 4 <= count {
            s0 += sq(p[i]); s1 += sq(p[i + 1]); s2 += sq(p[i + 2]); s3 += sq(p[i + 3])
            i += 4
        }
        while i < count { s0 += sq(p[i]); i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// (sum of dy, sum of dy * xhat) in Double, four partial sums each (batch norm's backward).
    static func productSums(_ dy: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>, _ count: Int) -> (Double, Double) {
        var a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, b0 = 0.0, b1 = 0.0, b2 = 0.0, b3 = 0.0, i = 0
        while i + 4 <= count {
            let g0 = Double(dy[i]), g1 = Double(dy[i + 1]), g2 = Double(dy[i + 2]), g3 = Double(dy[i + 3])
            a0 += g0; a1 += g1; a2 += g2; a3 += g3
            b0 += g0 * Double(xhat[i]); b1 += g1 * Double(xhat[i + 1])
            b2 += g2 * Double(xhat[i + 2]); b3 += g3 * Double(xhat[i + 3])
            i += 4
        }
        while i < count { let g = Double(dy[i]); a0 += g; b0 += g * Double(xhat[i]); i += 1 }
        return ((a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3))
    }

    /// `productSums` with dy counted only where gamma * xhat + beta > 0: batch norm's backward
    /// through the ReLU it applies (`BatchNorm3d.appliesReLU`). The mask and the products run in
    /// 8-lane Float vectors over blocks of `maskedBlock` values, each block's sums added in Double
    /// (a select per element stops the Double loop from vectorising; see benchmarks/constants.md).
    static func productSums(_ dy: UnsafePointer<Float>, _ xhat: UnsafePointer<Float>, _ count: Int,
                            whereAbove0 gamma: Float, _ beta: Float) -> (Double, Double) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var sumDy = 0.0, sumDyXhat = 0.0, start = 0
        while start < count {
            let end = min(count, start + maskedBlock)
            var a = V(), b = V(), i = start
            while i + 8 <= end {
                let g = load(dy + i), x = load(xhat + i)
                let v = x * gamma + beta   // the forward's gamma * xhat + beta, same rounding
                let masked = g.replacing(with: 0, where: .!(v .> 0))
                a += masked
                b += masked * x
                i += 8
            }
            var ta = a.sum(), tb = b.sum()
            while i < end {
                let g = gamma * xhat[i] + beta > 0 ? dy[i] : 0
                ta += g
                tb += g * xhat[i]
                i += 1
            }
            sumDy += Double(ta)
            sumDyXhat += Double(tb)
            start = end
        }
        return (sumDy, sumDyXhat)
    }
}
