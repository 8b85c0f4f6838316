import CInt8Kernels
import CInt8KernelsAVXVNNI
import Foundation
import LiTSConvKernels

// The kernel-3 convolution in int8, for inference only (CInt8Kernels, or CInt8KernelsAVXVNNI on
// AVX-VNNI CPUs without AVX-512: vpdpbusd, exact int32 sums). Quantization, per call:
// - activations per input channel c, asymmetric: the range [min(x_c, 0), max(x_c, 0)] over the
//   batch in 255 steps of s_c, x8 = round(x / s_c) + zp_c in 0 ... 255, where zp_c (the zero point)
//   is the byte of 0. Most inputs are ReLU outputs (zp = 0, all 256 levels used); the image and
//   the up path may be negative. Channels after a folded batch norm differ in range by orders of
//   magnitude, so one step per tensor would leave the small ones a few levels;
// - weights per output channel o, symmetric, after the activation steps are folded in:
//   v[o, c, k] = w[o, c, k] * s_c, step_v[o] = max |v[o, ., .]| / 127, w8 = round(v / step_v)
//   in -127 ... 127 ("per-channel calibration": each channel keeps its own 8 bits).
// Then y[o] = step_v[o] * sum w8 * (x8 - zp) + bias[o]. The padding around the volume is 0, so
// it must be the byte zp_c (the fp32 padding quantized); the kernel's sums then hold
// sum over c, k of w8[o, c, k] * zp_c too much at every position, which the kernel takes off
// with one scale and one shift per output channel before the fp32 store.
// Same padded layout, bands and work units as DirectConv3d; 4 input channels are interleaved per
// position (vpdpbusd adds 4 byte products per 32-bit lane), missing ones are zero channels.

enum DirectConv3dInt8 {
    /// The two int8 kernel sets, with bit-identical results (exact int32 sums, the same fp32
    /// dequantization): AVX-512 VNNI (CInt8Kernels, 16 lanes) and AVX-VNNI (CInt8KernelsAVXVNNI,
    /// 8 lanes, VEX-encoded: Intel Alder Lake and later client cores, Sierra Forest, which have
    /// no AVX-512). The layers that stay fp32 run on the direct path's kernels (AVX-512 or AVX2).
    enum Kernels: String, Sendable, CaseIterable {
        case avx512vnni, avxvnni

        /// The /proc/cpuinfo flags the set needs (AVX-512 VNNI: also what DirectConv3d's AVX-512 needs).
        var flags: [String] {
            switch self {
            case .avx512vnni: ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"]
            case .avxvnni: ["avx", "avx2", "fma", "avx_vnni"]
            }
        }

        /// The set for a CPU with `flags`: AVX-512 VNNI where present, else AVX-VNNI, else nil
        /// (int8 then runs as fp32). `override` (LITSKIT_INT8_KERNELS) picks a set the CPU has
        /// (`avx512vnni`, `avxvnni`: tests run both on a CPU that has both) or none (`fp32`);
        /// an unknown value or a set the CPU lacks leaves the rule as it is.
        static func choose(flags: Set<String>, override: String? = nil) -> Kernels? {
            if override == "fp32" { return nil }
            let runs = allCases.filter { $0.flags.allSatisfy(flags.contains) }
            if let forced = override.flatMap(Kernels.init(rawValue:)), runs.contains(forced) { return forced }
            return runs.first
        }

        /// Whether this CPU runs the set.
        var isSupported: Bool { CPUInfo.has(flags) }
    }

    /// The set this process uses, nil where int8 cannot run (see `Kernels.choose`).
    static let kernels: Kernels? = Kernels.choose(flags: CPUInfo.flags,
                                                  override: ProcessInfo.processInfo.environment["LITSKIT_INT8_KERNELS"])

    /// Whether this CPU runs the AVX-512 VNNI set (AVX-512, as DirectConv3d needs, and AVX512_VNNI).
    static var cpuHasAVX512VNNI: Bool { Kernels.avx512vnni.isSupported }

    /// The set `forward` uses unless told: `kernels` (callers check that it is not nil first).
    static var current: Kernels {
        guard let kernels else { preconditionFailure("this CPU has neither AVX512_VNNI nor AVX-VNNI: int8 runs as fp32") }
        return kernels
    }

    typealias Geometry = DirectConv3d.Geometry

    /// The activation quantization of one channel: x8 = round(x / step) + zeroPoint, clamped to 0 ... 255.
    struct ActivationQuantization: Equatable {
        let step: Float, zeroPoint: Int32

        /// For values in lo ... hi, the range widened to hold 0 (the padding).
        init(lo: Float, hi: Float) {
            let lo = min(lo, 0), hi = max(hi, 0)
            let step = hi > lo ? (hi - lo) / 255 : 1
            self.step = step
            zeroPoint = Int32(max(0, min(255, (-lo / step).rounded(.toNearestOrEven))))
        }

        /// Per channel of x (N, C, D, H, W), from its range over the batch.
        static func perChannel(_ x: Tensor, kernels: Kernels = DirectConv3dInt8.current) -> [ActivationQuantization] {
            let (n, c, d, h, w) = x.ncdhw
            let volume = d * h * w
            return x.data.withUnsafeBufferPointer { xb in
                (0..<c).map { ch in
                    var lo: Float = 0, hi: Float = 0
                    for b in 0..<n where volume > 0 {
                        var l: Float = 0, u: Float = 0
                        let src = xb.baseAddress! + (b * c + ch) * volume
                        switch kernels {
                        case .avx512vnni: lits_int8_min_max(src, volume, &l, &u)
                        case .avxvnni: lits_int8_min_max_avx2(src, volume, &l, &u)
                        }
                        lo = min(lo, l); hi = max(hi, u)
                    }
                    return ActivationQuantization(lo: lo, hi: hi)
                }
            }
        }
    }

    /// A weight v[o, c, k] quantized per output channel and packed for the forward kernel:
    /// (roundUp(outChannels) / 4, quads, 27, 4) quads of bytes (w8[o, 4p + l, k] in byte l),
    /// zero for padding channels; with each channel's step and its sum of w8[o, c, k] * zeroPoints[c].
    static func packForward(_ weight: (_ o: Int, _ c: Int, _ k: Int) -> Float, outChannels: Int,
                            inChannels: Int, zeroPoints: [Int32]) -> (packed: [UInt32], step: [Float], sum: [Int32]) {
        let blocks = DirectConv3d.roundUp(outChannels) / 4, quads = (inChannels + 3) / 4
        var bytes = [Int8](repeating: 0, count: blocks * quads * 27 * 4 * 4)
        var steps = [Float](repeating: 0, count: blocks * 4), sums = [Int32](repeating: 0, count: blocks * 4)
        for o in 0..<outChannels {
            var largest: Float = 0
            for c in 0..<inChannels { for k in 0..<27 { largest = max(largest, abs(weight(o, c, k))) } }
            let step = largest > 0 ? largest / 127 : 1
            steps[o] = step
            for c in 0..<inChannels { for k in 0..<27 {
                let q = Int8(max(-127, min(127, (weight(o, c, k) / step).rounded(.toNearestOrEven))))
                bytes[((((o / 4) * quads + c / 4) * 27 + k) * 4 + o % 4) * 4 + c % 4] = q
                sums[o] += Int32(q) * zeroPoints[c]
            } }
        }
        let packed = bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        return (packed, steps, sums)
    }

    /// Forward of a kernel-3 Conv3d in int8: y = conv(x, weight * scale[o]) + bias (the scale, if
    /// given, applied before quantizing), max(y, 0) if `relu`. Inputs and weights are quantized
    /// as above; sums are exact, the dequantized output fp32.
    static func forward(_ x: Tensor, weight: Tensor, bias: [Float], outChannels: Int,
                        scale: [Float]? = nil, relu: Bool = false, kernels: Kernels = current, workers: Int) -> Tensor {
        let (n, cin, d, h, w) = x.ncdhw
        let g = Geometry(d: d, h: h, w: w), quads = (cin + 3) / 4, cs = g.channelStride
        let wd = weight.data
        let xq = ActivationQuantization.perChannel(x, kernels: kernels)
        let (packed, wStep, wSum) = packForward({ o, c, k in wd[(o * cin + c) * 27 + k] * (scale?[o] ?? 1) * xq[c].step },
                                                outChannels: outChannels, inChannels: cin, zeroPoints: xq.map(\.zeroPoint))
        let outScale = wStep.indices.map { o in o < outChannels ? wStep[o] : 0 }
        let outShift = wStep.indices.map { o in -Float(wSum[o]) * outScale[o] }
        // Steps and zero points of each quad's 4 channels (zero channels: any step, byte 0).
        let quadSteps = (0..<(4 * quads)).map { c in c < cin ? xq[c].step : 1 }
        let quadZeros = (0..<(4 * quads)).map { c in c < cin ? xq[c].zeroPoint : 0 }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: cin * cs)   // (Cin, channelStride) fp32, padded
        let xp = UnsafeMutablePointer<UInt32>.allocate(capacity: quads * cs)      // (quads, channelStride) u8 quads
        defer { scratch.deallocate(); xp.deallocate() }
        return Tensor.uninitialized([n, outChannels, d, h, w]) { yp in
            x.data.withUnsafeBufferPointer { xb in
                for b in 0..<n {
                    DirectConv3d.pad(xb.baseAddress! + b * cin * d * h * w, channels: cin, paddedChannels: cin, g,
                                     into: scratch, workers: workers)
                    let src = SharedPointer(scratch), dst = SharedPointer(xp)
                    NetThreads.parallelChunks(quads, workers: workers) { _, chunk in
                        for p in chunk {
                            let channels: [UnsafePointer<Float>?] = (0..<4).map { l in
                                4 * p + l < cin ? UnsafePointer(src.p + (4 * p + l) * cs) : nil
                            }
                            let steps = Array(quadSteps[(4 * p)..<(4 * p + 4)]), zeros = Array(quadZeros[(4 * p)..<(4 * p + 4)])
                            channels.withUnsafeBufferPointer { cp in
                                switch kernels {
                                case .avx512vnni: lits_int8_pack_quads(cp.baseAddress!, cs, steps, zeros, dst.p + p * cs)
                                case .avxvnni: lits_int8_pack_quads_avx2(cp.baseAddress!, cs, steps, zeros, dst.p + p * cs)
                                }
                            }
                        }
                    }
                    convolve(quads: xp, inQuads: quads, g, packed: packed, scale: outScale, shift: outShift,
                             outChannels: outChannels, bias: bias, relu: relu, kernels: kernels,
                             into: SharedPointer(yp + b * outChannels * d * h * w), workers: workers)
                }
            }
        }
    }

    /// out (outChannels, D, H, W) of one item from the packed quads `xp`, one band of rows of one
    /// plane per work unit, as DirectConv3dBF16.convolve.
    static func convolve(quads xp: UnsafePointer<UInt32>, inQuads: Int, _ g: Geometry, packed: [UInt32],
                         scale: [Float], shift: [Float], outChannels: Int, bias: [Float]?, relu: Bool,
                         kernels: Kernels, into out: SharedPointer<Float>, workers: Int) {
        let cs = g.channelStride, blocks = DirectConv3d.roundUp(outChannels) / 4
        let zStride = g.chunks(rows: g.bandRange(0)) * DirectConvolution.chunk
        let offsets = g.offsets
        offsets.withUnsafeBufferPointer { op in
        packed.withUnsafeBufferPointer { wp in
        scale.withUnsafeBufferPointer { sp in
        shift.withUnsafeBufferPointer { tp in
            NetThreads.parallelChunks(g.d * g.bands, workers: workers) { _, units in
                let z = UnsafeMutablePointer<Float>.allocate(capacity: blocks * 4 * zStride)   // (roundUp(Cout), band chunks*96)
                defer { z.deallocate() }
                for unit in units {
                    let plane = unit / g.bands, rows = g.bandRange(unit % g.bands)
                    let q0 = g.planeStart(plane) + rows.lowerBound * g.wp, chunks = g.chunks(rows: rows)
                    switch kernels {
                    case .avx512vnni:
                        lits_int8_conv_forward(xp, cs, inQuads, op.baseAddress!, wp.baseAddress!, blocks, q0, chunks,
                                               sp.baseAddress!, tp.baseAddress!, z, zStride)
                    case .avxvnni:
                        lits_int8_conv_forward_avxvnni(xp, cs, inQuads, op.baseAddress!, wp.baseAddress!, blocks, q0, chunks,
                                                       sp.baseAddress!, tp.baseAddress!, z, zStride)
                    }
                    DirectConv3d.store(band: z, zStride: zStride, plane: plane, rows: rows, g, outChannels: outChannels,
                                       bias: bias, relu: relu, into: out)
                }
            }
        } } } }
    }
}
