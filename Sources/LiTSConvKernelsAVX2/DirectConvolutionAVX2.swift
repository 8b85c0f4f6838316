/// The direct 3x3x3 convolution kernels of LiTSConvKernels (same padded layout, same packed
/// weights, same results up to summation order), for AVX2 + FMA: 16 vector registers of 8 floats.
///
/// Why a second set: most x86-64 CPUs without AVX-512 (AMD Zen 2 and 3, many Intel) have AVX2,
/// where im2col + GEMM loses to the direct convolution as it does with AVX-512. The register
/// blocks are smaller: the forward holds 4 output channels x 24 positions (12 accumulators,
/// 3 input vectors, 1 broadcast weight; measured faster here than 2 channels x 48 positions,
/// which halves the broadcasts but loads each input twice); the weight gradient 2 output channels
/// x 6 taps.
///
/// This target is compiled for `haswell` on x86_64 (see Package.swift). Nothing in it may run
/// before the caller has checked the CPU (LiTSNet's `DirectConv3d.cpuHasAVX2FMA`); the kernels
/// are `@inline(never)` so that no AVX2 code is inlined into code that runs without the check.
public enum DirectConvolutionAVX2 {
    public typealias Vector = SIMD8<Float>

    /// Padded positions per forward chunk: three vectors of 8.
    public static let chunk = 24
    /// Output channels per forward call block, as in LiTSConvKernels (the packing is shared).
    public static let outputBlock = 4
    /// Floats that a kernel may read past the last padded position of a channel (the AVX-512
    /// kernels' 128 covers it).
    public static let slack = 32

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// z[o, j] = sum over c < inChannels and k < 27 of w[o, c, k] * x[c, q0 + j + offsets[k]]
    /// for j < chunks * 24 and every output channel o < 4 * outputBlocks.
    /// - x: channel c starts at x + c * channelStride.
    /// - weights: packed (outputBlocks, inChannels, 27, 4), o = block * 4 + lane.
    /// - z: output channel o starts at z + o * zStride.
    @inline(never)
    public static func forward(x: UnsafePointer<Float>, channelStride: Int, inChannels: Int,
                               offsets: UnsafePointer<Int>, weights: UnsafePointer<Float>, outputBlocks: Int,
                               q0: Int, chunks: Int, z: UnsafeMutablePointer<Float>, zStride: Int) {
        for c in 0..<chunks {
            let start = x + q0 + c * chunk
            for block in 0..<outputBlocks {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                var c0 = Vector(), c1 = Vector(), c2 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector()
                var w = weights + block * inChannels * 27 * 4
                for ci in 0..<inChannels {
                    let channel = start + ci * channelStride
                    for k in 0..<27 {
                        let p = channel + offsets[k]
                        let x0 = load(p), x1 = load(p + 8), x2 = load(p + 16)
                        let w0 = Vector(repeating: w[0])
                        a0 = a0.addingProduct(x0, w0); a1 = a1.addingProduct(x1, w0); a2 = a2.addingProduct(x2, w0)
                        let w1 = Vector(repeating: w[1])
                        b0 = b0.addingProduct(x0, w1); b1 = b1.addingProduct(x1, w1); b2 = b2.addingProduct(x2, w1)
                        let w2 = Vector(repeating: w[2])
                        c0 = c0.addingProduct(x0, w2); c1 = c1.addingProduct(x1, w2); c2 = c2.addingProduct(x2, w2)
                        let w3 = Vector(repeating: w[3])
                        d0 = d0.addingProduct(x0, w3); d1 = d1.addingProduct(x1, w3); d2 = d2.addingProduct(x2, w3)
                        w += 4
                    }
                }
                var o = z + block * 4 * zStride + c * chunk
                store(a0, o); store(a1, o + 8); store(a2, o + 16)
                o += zStride
                store(b0, o); store(b1, o + 8); store(b2, o + 16)
                o += zStride
                store(c0, o); store(c1, o + 8); store(c2, o + 16)
                o += zStride
                store(d0, o); store(d1, o + 8); store(d2, o + 16)
            }
        }
    }

    /// dW[o, c, k] += sum over j < count of dy[o, q0 + j] * x[c, q0 + j + offsets[k]], for every
    /// o < 4 * outputBlocks, c < inChannels, k < 27. dW is (4 * outputBlocks, inChannels, 27).
    /// Positions j >= count are masked out, so the sum covers exactly the run given. Output
    /// channels go two at a time and taps six at a time (two (a, b) rows of three e), 12 sums in
    /// registers, then the last three taps.
    @inline(never)
    public static func weightGradient(dy: UnsafePointer<Float>, dyStride: Int, x: UnsafePointer<Float>, xStride: Int,
                                      inChannels: Int, offsets: UnsafePointer<Int>, outputBlocks: Int,
                                      q0: Int, count: Int, dW: UnsafeMutablePointer<Float>) {
        let full = count / 8 * 8, tail = count - full
        var lanes = SIMD8<Int32>()
        for i in 0..<8 { lanes[i] = Int32(i) }
        let tailMask = lanes .< SIMD8<Int32>(repeating: Int32(tail))
        @inline(__always) func masked(_ p: UnsafePointer<Float>) -> Vector {
            Vector().replacing(with: load(p), where: tailMask)
        }
        let o = inChannels * 27
        for pair in 0..<(outputBlocks * 2) {
            let g = dy + (pair * 2) * dyStride + q0, h = g + dyStride
            for ci in 0..<inChannels {
                let channel = x + ci * xStride + q0
                let out = dW + ((pair * 2) * inChannels + ci) * 27
                // Rows (a, b) = ab and ab + 1: taps ab*3 ..< ab*3 + 6.
                for ab in stride(from: 0, to: 8, by: 2) {
                    // One pointer per tap, from the offsets array: with r + 1 and r + 2 the
                    // compiler sees overlapping loads and rebuilds them from shuffles, slower.
                    let r0 = channel + offsets[ab * 3], r1 = channel + offsets[ab * 3 + 1], r2 = channel + offsets[ab * 3 + 2]
                    let s0 = channel + offsets[ab * 3 + 3], s1 = channel + offsets[ab * 3 + 4], s2 = channel + offsets[ab * 3 + 5]
                    var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector(), a4 = Vector(), a5 = Vector()
                    var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector(), b4 = Vector(), b5 = Vector()
                    @inline(__always) func step(_ y0: Vector, _ y1: Vector, _ j: Int) {
                        var x = load(r0 + j)
                        a0 = a0.addingProduct(y0, x); b0 = b0.addingProduct(y1, x)
                        x = load(r1 + j)
                        a1 = a1.addingProduct(y0, x); b1 = b1.addingProduct(y1, x)
                        x = load(r2 + j)
                        a2 = a2.addingProduct(y0, x); b2 = b2.addingProduct(y1, x)
                        x = load(s0 + j)
                        a3 = a3.addingProduct(y0, x); b3 = b3.addingProduct(y1, x)
                        x = load(s1 + j)
                        a4 = a4.addingProduct(y0, x); b4 = b4.addingProduct(y1, x)
                        x = load(s2 + j)
                        a5 = a5.addingProduct(y0, x); b5 = b5.addingProduct(y1, x)
                    }
                    var j = 0
                    while j < full { step(load(g + j), load(h + j), j); j += 8 }
                    if tail > 0 { step(masked(g + j), masked(h + j), j) }
                    let t = out + ab * 3
                    t[0] += a0.sum(); t[1] += a1.sum(); t[2] += a2.sum(); t[3] += a3.sum(); t[4] += a4.sum(); t[5] += a5.sum()
                    t[o] += b0.sum(); t[o + 1] += b1.sum(); t[o + 2] += b2.sum()
                    t[o + 3] += b3.sum(); t[o + 4] += b4.sum(); t[o + 5] += b5.sum()
                }
                // The last row (a, b) = (2, 2): taps 24 ..< 27.
                let r0 = channel + offsets[24], r1 = channel + offsets[25], r2 = channel + offsets[26]
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                @inline(__always) func step(_ y0: Vector, _ y1: Vector, _ j: Int) {
                    let x0 = load(r0 + j), x1 = load(r1 + j), x2 = load(r2 + j)
                    a0 = a0.addingProduct(y0, x0); a1 = a1.addingProduct(y0, x1); a2 = a2.addingProduct(y0, x2)
                    b0 = b0.addingProduct(y1, x0); b1 = b1.addingProduct(y1, x1); b2 = b2.addingProduct(y1, x2)
                }
                var j = 0
                while j < full { step(load(g + j), load(h + j), j); j += 8 }
                if tail > 0 { step(masked(g + j), masked(h + j), j) }
                let t = out + 24
                t[0] += a0.sum(); t[1] += a1.sum(); t[2] += a2.sum()
                t[o] += b0.sum(); t[o + 1] += b1.sum(); t[o + 2] += b2.sum()
            }
        }
    }
}

// Alternative register blockings, chosen at run time by LiTSNet's KernelShapeTuner (per CPU).
// Each computes every output (or gradient sum) with the same operations in the same order as the
// kernels above (a forward voxel sums c, then taps, into one lane from zero; a weight gradient
// entry sums 8-lane partial sums over j, then `sum()`, then one `+=`), so their results are
// bit-identical to them; only speed differs.
extension DirectConvolutionAVX2 {
    /// Padded positions per chunk of `forwardWide`: one vector of 8.
    public static let wideChunk = 8
    /// Output channels per block of `forwardWide` (two packed blocks of 4).
    public static let wideOutputBlock = 8

    /// `forward` with 8 output channels x 8 positions per register block (8 accumulators, 1 input
    /// vector, 8 broadcasts per tap): one input load per 8 FMAs instead of 3 per 12, for CPUs
    /// whose loads, not FMAs, bound the 4 x 24 block. Same arguments and packing as `forward`,
    /// with chunks of `wideChunk` positions; `outputBlocks` (packed blocks of 4) must be even.
    @inline(never)
    public static func forwardWide(x: UnsafePointer<Float>, channelStride: Int, inChannels: Int,
                                   offsets: UnsafePointer<Int>, weights: UnsafePointer<Float>, outputBlocks: Int,
                                   q0: Int, chunks: Int, z: UnsafeMutablePointer<Float>, zStride: Int) {
        precondition(outputBlocks % 2 == 0, "forwardWide takes pairs of output blocks")
        let blockFloats = inChannels * 27 * 4
        for c in 0..<chunks {
            let start = x + q0 + c * wideChunk
            for pair in 0..<(outputBlocks / 2) {
                var a = Vector(), b = Vector(), c2 = Vector(), d = Vector()
                var e = Vector(), f = Vector(), g = Vector(), h = Vector()
                var w = weights + 2 * pair * blockFloats
                for ci in 0..<inChannels {
                    let channel = start + ci * channelStride
                    for k in 0..<27 {
                        let x0 = load(channel + offsets[k])
                        let v = w + blockFloats
                        a = a.addingProduct(x0, Vector(repeating: w[0])); b = b.addingProduct(x0, Vector(repeating: w[1]))
                        c2 = c2.addingProduct(x0, Vector(repeating: w[2])); d = d.addingProduct(x0, Vector(repeating: w[3]))
                        e = e.addingProduct(x0, Vector(repeating: v[0])); f = f.addingProduct(x0, Vector(repeating: v[1]))
                        g = g.addingProduct(x0, Vector(repeating: v[2])); h = h.addingProduct(x0, Vector(repeating: v[3]))
                        w += 4
                    }
                }
                var o = z + pair * 8 * zStride + c * wideChunk
                store(a, o); o += zStride; store(b, o); o += zStride; store(c2, o); o += zStride; store(d, o); o += zStride
                store(e, o); o += zStride; store(f, o); o += zStride; store(g, o); o += zStride; store(h, o)
            }
        }
    }

    /// `weightGradient` with 4 output channels x 3 taps (one (a, b) row) per register block:
    /// 12 sums and 3 input vectors, then the 4 gradient vectors one at a time (16 registers).
    /// LLVM still schedules the loads early and spills: on the Zen 5 VM the backward ran 1.5x
    /// slower than with `weightGradient` (1.9x with the 4 gradients loaded first), so the tuner
    /// keeps `weightGradient` there. Same arguments and result as `weightGradient`.
    @inline(never)
    public static func weightGradientWide(dy: UnsafePointer<Float>, dyStride: Int, x: UnsafePointer<Float>, xStride: Int,
                                          inChannels: Int, offsets: UnsafePointer<Int>, outputBlocks: Int,
                                          q0: Int, count: Int, dW: UnsafeMutablePointer<Float>) {
        let full = count / 8 * 8, tail = count - full
        var lanes = SIMD8<Int32>()
        for i in 0..<8 { lanes[i] = Int32(i) }
        let tailMask = lanes .< SIMD8<Int32>(repeating: Int32(tail))
        @inline(__always) func masked(_ p: UnsafePointer<Float>) -> Vector {
            Vector().replacing(with: load(p), where: tailMask)
        }
        let o = inChannels * 27
        for block in 0..<outputBlocks {
            let g0 = dy + (block * 4) * dyStride + q0, g1 = g0 + dyStride, g2 = g1 + dyStride, g3 = g2 + dyStride
            for ci in 0..<inChannels {
                let channel = x + ci * xStride + q0
                let out = dW + ((block * 4) * inChannels + ci) * 27
                for ab in 0..<9 {
                    // One pointer per tap, from the offsets array (see `weightGradient`).
                    let r0 = channel + offsets[ab * 3], r1 = channel + offsets[ab * 3 + 1], r2 = channel + offsets[ab * 3 + 2]
                    var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                    var c0 = Vector(), c1 = Vector(), c2 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector()
                    @inline(__always) func step(_ j: Int, _ read: (UnsafePointer<Float>) -> Vector) {
                        let x0 = load(r0 + j), x1 = load(r1 + j), x2 = load(r2 + j)
                        var y = read(g0 + j)
                        a0 = a0.addingProduct(y, x0); a1 = a1.addingProduct(y, x1); a2 = a2.addingProduct(y, x2)
                        y = read(g1 + j)
                        b0 = b0.addingProduct(y, x0); b1 = b1.addingProduct(y, x1); b2 = b2.addingProduct(y, x2)
                        y = read(g2 + j)
                        c0 = c0.addingProduct(y, x0); c1 = c1.addingProduct(y, x1); c2 = c2.addingProduct(y, x2)
                        y = read(g3 + j)
                        d0 = d0.addingProduct(y, x0); d1 = d1.addingProduct(y, x1); d2 = d2.addingProduct(y, x2)
                    }
                    var j = 0
                    while j < full { step(j) { load($0) }; j += 8 }
                    if tail > 0 { step(j, masked) }
                    let t = out + ab * 3
                    t[0] += a0.sum(); t[1] += a1.sum(); t[2] += a2.sum()
                    t[o] += b0.sum(); t[o + 1] += b1.sum(); t[o + 2] += b2.sum()
                    t[2 * o] += c0.sum(); t[2 * o + 1] += c1.sum(); t[2 * o + 2] += c2.sum()
                    t[3 * o] += d0.sum(); t[3 * o + 1] += d1.sum(); t[3 * o + 2] += d2.sum()
                }
            }
        }
    }
}
