/// Direct 3x3x3 convolution kernels on zero-padded volumes, for AVX-512.
///
/// Why: with the U-Net's small channel counts (8 to 32 at full resolution) an im2col + GEMM
/// convolution spends as long copying (im2col, then OpenBLAS packing the copy) as multiplying.
/// These kernels read the input in place instead. A volume (C, D, H, W) is stored zero-padded
/// by one voxel on every side, (C, D+2, H+2, W+2), each channel flattened; in that flat index
/// ("padded position" q) the 27 taps of a 3x3x3 kernel are 27 constant offsets, so
///   z[o, q] = sum over c and taps k of w[o, c, k] * x[c, q + offset[k]]
/// is a 1D loop over q with no borders to test. Positions that fall on the padding produce
/// values nobody reads; callers copy out the real voxels.
///
/// This target is compiled for `skylake-avx512` on x86_64 (see Package.swift): 32 vector
/// registers of 16 floats hold a 4 x 96 block of outputs. Nothing in it may run before the
/// caller has checked the CPU (LiTSNet's `DirectConv3d.cpuHasAVX512`, compiled for any x86-64),
/// which is why that check does not live here; callers fall back to LiTSConvKernelsAVX2 (AVX2 +
/// FMA) or im2col + GEMM where the CPU lacks AVX-512. The kernels are `@inline(never)` so that no AVX-512 code is inlined into code
/// that runs without the check.
public enum DirectConvolution {
    public typealias Vector = SIMD16<Float>

    /// Padded positions per forward chunk: six vectors of 16.
    public static let chunk = 96
    /// Output channels per kernel call; callers pad channel counts up to a multiple of it.
    public static let outputBlock = 4
    /// Floats that a kernel may read past the last padded position of a channel.
    public static let slack = 128

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// z[o, j] = sum over c < inChannels and k < 27 of w[o, c, k] * x[c, q0 + j + offsets[k]]
    /// for j < chunks * 96 and every output channel o < 4 * outputBlocks.
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
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector(), a4 = Vector(), a5 = Vector()
                var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector(), b4 = Vector(), b5 = Vector()
                var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
                var d0 = Vector(), d1 = Vector(), d2 = Vector(), d3 = Vector(), d4 = Vector(), d5 = Vector()
                var w = weights + block * inChannels * 27 * 4
                for ci in 0..<inChannels {
                    let channel = start + ci * channelStride
                    for k in 0..<27 {
                        let p = channel + offsets[k]
                        let x0 = load(p), x1 = load(p + 16), x2 = load(p + 32)
                        let x3 = load(p + 48), x4 = load(p + 64), x5 = load(p + 80)
                        let w0 = Vector(repeating: w[0]), w1 = Vector(repeating: w[1])
                        let w2 = Vector(repeating: w[2]), w3 = Vector(repeating: w[3])
                        a0 = a0.addingProduct(x0, w0); a1 = a1.addingProduct(x1, w0); a2 = a2.addingProduct(x2, w0)
                        a3 = a3.addingProduct(x3, w0); a4 = a4.addingProduct(x4, w0); a5 = a5.addingProduct(x5, w0)
                        b0 = b0.addingProduct(x0, w1); b1 = b1.addingProduct(x1, w1); b2 = b2.addingProduct(x2, w1)
                        b3 = b3.addingProduct(x3, w1); b4 = b4.addingProduct(x4, w1); b5 = b5.addingProduct(x5, w1)
                        c0 = c0.addingProduct(x0, w2); c1 = c1.addingProduct(x1, w2); c2 = c2.addingProduct(x2, w2)
                        c3 = c3.addingProduct(x3, w2); c4 = c4.addingProduct(x4, w2); c5 = c5.addingProduct(x5, w2)
                        d0 = d0.addingProduct(x0, w3); d1 = d1.addingProduct(x1, w3); d2 = d2.addingProduct(x2, w3)
                        d3 = d3.addingProduct(x3, w3); d4 = d4.addingProduct(x4, w3); d5 = d5.addingProduct(x5, w3)
                        w += 4
                    }
                }
                var o = z + block * 4 * zStride + c * chunk
                store(a0, o); store(a1, o + 16); store(a2, o + 32); store(a3, o + 48); store(a4, o + 64); store(a5, o + 80)
                o += zStride
                store(b0, o); store(b1, o + 16); store(b2, o + 32); store(b3, o + 48); store(b4, o + 64); store(b5, o + 80)
                o += zStride
                store(c0, o); store(c1, o + 16); store(c2, o + 32); store(c3, o + 48); store(c4, o + 64); store(c5, o + 80)
                o += zStride
                store(d0, o); store(d1, o + 16); store(d2, o + 32); store(d3, o + 48); store(d4, o + 64); store(d5, o + 80)
            }
        }
    }

    /// dW[o, c, k] += sum over j < count of dy[o, q0 + j] * x[c, q0 + j + offsets[k]], for every
    /// o < 4 * outputBlocks, c < inChannels, k < 27. dW is (4 * outputBlocks, inChannels, 27).
    /// Positions j >= count are masked out, so the sum covers exactly the run given. The taps go
    /// six at a time (two (a, b) rows of three e), 24 sums in registers, then the last three.
    @inline(never)
    public static func weightGradient(dy: UnsafePointer<Float>, dyStride: Int, x: UnsafePointer<Float>, xStride: Int,
                                      inChannels: Int, offsets: UnsafePointer<Int>, outputBlocks: Int,
                                      q0: Int, count: Int, dW: UnsafeMutablePointer<Float>) {
        let full = count / 16 * 16, tail = count - full
        var lanes = SIMD16<Int32>()
        for i in 0..<16 { lanes[i] = Int32(i) }
        let tailMask = lanes .< SIMD16<Int32>(repeating: Int32(tail))
        @inline(__always) func gradients(_ g: UnsafePointer<Float>, _ j: Int) -> (Vector, Vector, Vector, Vector) {
            if j < full {
                return (load(g + j), load(g + dyStride + j), load(g + 2 * dyStride + j), load(g + 3 * dyStride + j))
            }
            let zero = Vector()
            return (zero.replacing(with: load(g + j), where: tailMask),
                    zero.replacing(with: load(g + dyStride + j), where: tailMask),
                    zero.replacing(with: load(g + 2 * dyStride + j), where: tailMask),
                    zero.replacing(with: load(g + 3 * dyStride + j), where: tailMask))
        }
        let o = inChannels * 27
        for block in 0..<outputBlocks {
            let g = dy + (block * 4) * dyStride + q0
            for ci in 0..<inChannels {
                let channel = x + ci * xStride + q0
                let out = dW + ((block * 4) * inChannels + ci) * 27
                // Rows (a, b) = ab and ab + 1: taps ab*3 ..< ab*3 + 6.
                for ab in stride(from: 0, to: 8, by: 2) {
                    let r = channel + offsets[ab * 3], s = channel + offsets[ab * 3 + 3]
                    var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector(), a4 = Vector(), a5 = Vector()
                    var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector(), b4 = Vector(), b5 = Vector()
                    var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
                    var d0 = Vector(), d1 = Vector(), d2 = Vector(), d3 = Vector(), d4 = Vector(), d5 = Vector()
                    var j = 0
                    while j < count {
                        let (y0, y1, y2, y3) = gradients(g, j)
                        let x0 = load(r + j), x1 = load(r + j + 1), x2 = load(r + j + 2)
                        let x3 = load(s + j), x4 = load(s + j + 1), x5 = load(s + j + 2)
                        a0 = a0.addingProduct(y0, x0); a1 = a1.addingProduct(y0, x1); a2 = a2.addingProduct(y0, x2)
                        a3 = a3.addingProduct(y0, x3); a4 = a4.addingProduct(y0, x4); a5 = a5.addingProduct(y0, x5)
                        b0 = b0.addingProduct(y1, x0); b1 = b1.addingProduct(y1, x1); b2 = b2.addingProduct(y1, x2)
                        b3 = b3.addingProduct(y1, x3); b4 = b4.addingProduct(y1, x4); b5 = b5.addingProduct(y1, x5)
                        c0 = c0.addingProduct(y2, x0); c1 = c1.addingProduct(y2, x1); c2 = c2.addingProduct(y2, x2)
                        c3 = c3.addingProduct(y2, x3); c4 = c4.addingProduct(y2, x4); c5 = c5.addingProduct(y2, x5)
                        d0 = d0.addingProduct(y3, x0); d1 = d1.addingProduct(y3, x1); d2 = d2.addingProduct(y3, x2)
                        d3 = d3.addingProduct(y3, x3); d4 = d4.addingProduct(y3, x4); d5 = d5.addingProduct(y3, x5)
                        j += 16
                    }
                    let t = out + ab * 3
                    t[0] += a0.sum(); t[1] += a1.sum(); t[2] += a2.sum(); t[3] += a3.sum(); t[4] += a4.sum(); t[5] += a5.sum()
                    t[o] += b0.sum(); t[o + 1] += b1.sum(); t[o + 2] += b2.sum()
                    t[o + 3] += b3.sum(); t[o + 4] += b4.sum(); t[o + 5] += b5.sum()
                    t[2 * o] += c0.sum(); t[2 * o + 1] += c1.sum(); t[2 * o + 2] += c2.sum()
                    t[2 * o + 3] += c3.sum(); t[2 * o + 4] += c4.sum(); t[2 * o + 5] += c5.sum()
                    t[3 * o] += d0.sum(); t[3 * o + 1] += d1.sum(); t[3 * o + 2] += d2.sum()
                    t[3 * o + 3] += d3.sum(); t[3 * o + 4] += d4.sum(); t[3 * o + 5] += d5.sum()
                }
                // The last row (a, b) = (2, 2): taps 24 ..< 27.
                let r = channel + offsets[24]
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                var c0 = Vector(), c1 = Vector(), c2 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector()
                var j = 0
                while j < count {
                    let (y0, y1, y2, y3) = gradients(g, j)
                    let x0 = load(r + j), x1 = load(r + j + 1), x2 = load(r + j + 2)
                    a0 = a0.addingProduct(y0, x0); a1 = a1.addingProduct(y0, x1); a2 = a2.addingProduct(y0, x2)
                    b0 = b0.addingProduct(y1, x0); b1 = b1.addingProduct(y1, x1); b2 = b2.addingProduct(y1, x2)
                    c0 = c0.addingProduct(y2, x0); c1 = c1.addingProduct(y2, x1); c2 = c2.addingProduct(y2, x2)
                    d0 = d0.addingProduct(y3, x0); d1 = d1.addingProduct(y3, x1); d2 = d2.addingProduct(y3, x2)
                    j += 16
                }
                let t = out + 24
                t[0] += a0.sum(); t[1] += a1.sum(); t[2] += a2.sum()
                t[o] += b0.sum(); t[o + 1] += b1.sum(); t[o + 2] += b2.sum()
                t[2 * o] += c0.sum(); t[2 * o + 1] += c1.sum(); t[2 * o + 2] += c2.sum()
                t[3 * o] += d0.sum(); t[3 * o + 1] += d1.sum(); t[3 * o + 2] += d2.sum()
            }
        }
    }
}

// Alternative register blockings, chosen at run time by LiTSNet's KernelShapeTuner (per CPU).
// Each computes every output (or gradient sum) with the same operations in the same order as the
// 4-output kernels above: a forward voxel sums c, then taps, into one lane from zero; a weight
// gradient entry sums 16-lane partial sums over j, then `sum()`, then one `+=`. So their results
// are bit-identical to the kernels above; only speed differs.
extension DirectConvolution {
    /// Padded positions per chunk of `forwardWide`: three vectors of 16.
    public static let wideChunk = 48
    /// Output channels per block of the wide kernels (two packed blocks of 4).
    public static let wideOutputBlock = 8

    /// `forward` with 8 output channels x 48 positions per register block (24 accumulators,
    /// 3 input vectors, 8 broadcasts per tap): each input vector is loaded once per 8 outputs
    /// instead of 4. Same arguments and packing as `forward`, with chunks of `wideChunk`
    /// positions; `outputBlocks` (packed blocks of 4) must be even.
    @inline(never)
    public static func forwardWide(x: UnsafePointer<Float>, channelStride: Int, inChannels: Int,
                                   offsets: UnsafePointer<Int>, weights: UnsafePointer<Float>, outputBlocks: Int,
                                   q0: Int, chunks: Int, z: UnsafeMutablePointer<Float>, zStride: Int) {
        precondition(outputBlocks % 2 == 0, "forwardWide takes pairs of output blocks")
        let blockFloats = inChannels * 27 * 4
        for c in 0..<chunks {
            let start = x + q0 + c * wideChunk
            for pair in 0..<(outputBlocks / 2) {
                var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                var c0 = Vector(), c1 = Vector(), c2 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector()
                var e0 = Vector(), e1 = Vector(), e2 = Vector(), f0 = Vector(), f1 = Vector(), f2 = Vector()
                var g0 = Vector(), g1 = Vector(), g2 = Vector(), h0 = Vector(), h1 = Vector(), h2 = Vector()
                var w = weights + 2 * pair * blockFloats
                for ci in 0..<inChannels {
                    let channel = start + ci * channelStride
                    for k in 0..<27 {
                        let p = channel + offsets[k]
                        let x0 = load(p), x1 = load(p + 16), x2 = load(p + 32)
                        let v = w + blockFloats
                        let w0 = Vector(repeating: w[0]), w1 = Vector(repeating: w[1])
                        let w2 = Vector(repeating: w[2]), w3 = Vector(repeating: w[3])
                        a0 = a0.addingProduct(x0, w0); a1 = a1.addingProduct(x1, w0); a2 = a2.addingProduct(x2, w0)
                        b0 = b0.addingProduct(x0, w1); b1 = b1.addingProduct(x1, w1); b2 = b2.addingProduct(x2, w1)
                        c0 = c0.addingProduct(x0, w2); c1 = c1.addingProduct(x1, w2); c2 = c2.addingProduct(x2, w2)
                        d0 = d0.addingProduct(x0, w3); d1 = d1.addingProduct(x1, w3); d2 = d2.addingProduct(x2, w3)
                        let w4 = Vector(repeating: v[0]), w5 = Vector(repeating: v[1])
                        let w6 = Vector(repeating: v[2]), w7 = Vector(repeating: v[3])
                        e0 = e0.addingProduct(x0, w4); e1 = e1.addingProduct(x1, w4); e2 = e2.addingProduct(x2, w4)
                        f0 = f0.addingProduct(x0, w5); f1 = f1.addingProduct(x1, w5); f2 = f2.addingProduct(x2, w5)
                        g0 = g0.addingProduct(x0, w6); g1 = g1.addingProduct(x1, w6); g2 = g2.addingProduct(x2, w6)
                        h0 = h0.addingProduct(x0, w7); h1 = h1.addingProduct(x1, w7); h2 = h2.addingProduct(x2, w7)
                        w += 4
                    }
                }
                var o = z + pair * 8 * zStride + c * wideChunk
                store(a0, o); store(a1, o + 16); store(a2, o + 32); o += zStride
                store(b0, o); store(b1, o + 16); store(b2, o + 32); o += zStride
                store(c0, o); store(c1, o + 16); store(c2, o + 32); o += zStride
                store(d0, o); store(d1, o + 16); store(d2, o + 32); o += zStride
                store(e0, o); store(e1, o + 16); store(e2, o + 32); o += zStride
                store(f0, o); store(f1, o + 16); store(f2, o + 32); o += zStride
                store(g0, o); store(g1, o + 16); store(g2, o + 32); o += zStride
                store(h0, o); store(h1, o + 16); store(h2, o + 32)
            }
        }
    }

    /// `weightGradient` with 8 output channels x 3 taps (one (a, b) row) per register block:
    /// 24 sums, 8 gradient vectors and 3 input vectors per step; each gradient row is streamed
    /// 9 times per 8 outputs instead of 5 per 4, each input row once per 8 outputs instead of
    /// per 4. Same arguments and result as `weightGradient`; `outputBlocks` must be even. LLVM
    /// spills some of its 24 sums in the loop; on the Zen 5 VM it ran about 8% slower than
    /// `weightGradient`, so the tuner keeps that one there (worse still with the gradients read
    /// through a closure, as in the AVX2 set).
    @inline(never)
    public static func weightGradientWide(dy: UnsafePointer<Float>, dyStride: Int, x: UnsafePointer<Float>, xStride: Int,
                                          inChannels: Int, offsets: UnsafePointer<Int>, outputBlocks: Int,
                                          q0: Int, count: Int, dW: UnsafeMutablePointer<Float>) {
        precondition(outputBlocks % 2 == 0, "weightGradientWide takes pairs of output blocks")
        let full = count / 16 * 16, tail = count - full
        var lanes = SIMD16<Int32>()
        for i in 0..<16 { lanes[i] = Int32(i) }
        let tailMask = lanes .< SIMD16<Int32>(repeating: Int32(tail))
        @inline(__always) func gradient(_ p: UnsafePointer<Float>, _ j: Int) -> Vector {
            j < full ? load(p + j) : Vector().replacing(with: load(p + j), where: tailMask)
        }
        let o = inChannels * 27
        for pair in 0..<(outputBlocks / 2) {
            let g = dy + (pair * 8) * dyStride + q0
            for ci in 0..<inChannels {
                let channel = x + ci * xStride + q0
                let out = dW + ((pair * 8) * inChannels + ci) * 27
                for ab in 0..<9 {
                    let r = channel + offsets[ab * 3]
                    var a0 = Vector(), a1 = Vector(), a2 = Vector(), b0 = Vector(), b1 = Vector(), b2 = Vector()
                    var c0 = Vector(), c1 = Vector(), c2 = Vector(), d0 = Vector(), d1 = Vector(), d2 = Vector()
                    var e0 = Vector(), e1 = Vector(), e2 = Vector(), f0 = Vector(), f1 = Vector(), f2 = Vector()
                    var g0 = Vector(), g1 = Vector(), g2 = Vector(), h0 = Vector(), h1 = Vector(), h2 = Vector()
                    var j = 0
                    while j < count {
                        let x0 = load(r + j), x1 = load(r + j + 1), x2 = load(r + j + 2)
                        var y = gradient(g, j)
                        a0 = a0.addingProduct(y, x0); a1 = a1.addingProduct(y, x1); a2 = a2.addingProduct(y, x2)
                        y = gradient(g + dyStride, j)
                        b0 = b0.addingProduct(y, x0); b1 = b1.addingProduct(y, x1); b2 = b2.addingProduct(y, x2)
                        y = gradient(g + 2 * dyStride, j)
                        c0 = c0.addingProduct(y, x0); c1 = c1.addingProduct(y, x1); c2 = c2.addingProduct(y, x2)
                        y = gradient(g + 3 * dyStride, j)
                        d0 = d0.addingProduct(y, x0); d1 = d1.addingProduct(y, x1); d2 = d2.addingProduct(y, x2)
                        y = gradient(g + 4 * dyStride, j)
                        e0 = e0.addingProduct(y, x0); e1 = e1.addingProduct(y, x1); e2 = e2.addingProduct(y, x2)
                        y = gradient(g + 5 * dyStride, j)
                        f0 = f0.addingProduct(y, x0); f1 = f1.addingProduct(y, x1); f2 = f2.addingProduct(y, x2)
                        y = gradient(g + 6 * dyStride, j)
                        g0 = g0.addingProduct(y, x0); g1 = g1.addingProduct(y, x1); g2 = g2.addingProduct(y, x2)
                        y = gradient(g + 7 * dyStride, j)
                        h0 = h0.addingProduct(y, x0); h1 = h1.addingProduct(y, x1); h2 = h2.addingProduct(y, x2)
                        j += 16
                    }
                    let t = out + ab * 3
                    t[0] += a0.sum(); t[1] += a1.sum(); t[2] += a2.sum()
                    t[o] += b0.sum(); t[o + 1] += b1.sum(); t[o + 2] += b2.sum()
                    t[2 * o] += c0.sum(); t[2 * o + 1] += c1.sum(); t[2 * o + 2] += c2.sum()
                    t[3 * o] += d0.sum(); t[3 * o + 1] += d1.sum(); t[3 * o + 2] += d2.sum()
                    t[4 * o] += e0.sum(); t[4 * o + 1] += e1.sum(); t[4 * o + 2] += e2.sum()
                    t[5 * o] += f0.sum(); t[5 * o + 1] += f1.sum(); t[5 * o + 2] += f2.sum()
                    t[6 * o] += g0.sum(); t[6 * o + 1] += g1.sum(); t[6 * o + 2] += g2.sum()
                    t[7 * o] += h0.sum(); t[7 * o + 1] += h1.sum(); t[7 * o + 2] += h2.sum()
                }
            }
        }
    }
}
