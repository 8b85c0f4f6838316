import CInt8Kernels
import Foundation
import LiTSConvKernels

// The kernel-3 convolution in int8, for inference only (CInt8Kernels: vpdpbusd, exact int32
// sums). Quantization, per call:
// - weights per output channel, symmetric: step_w[o] = max |w[o, ., .]| / 127, w8 = round(w / step_w)
//   in -127 ... 127 ("per-channel calibration": each channel keeps its own 8 bits);
// - activations per tensor, asymmetric: the range [min(x, 0), max(x, 0)] in 255 steps of step_x,
//   x8 = round(x / step_x) + zp in 0 ... 255, where zp (the zero point) is the byte of 0. Most
//   inputs are ReLU outputs (zp = 0, all 256 levels used); the image and the up path may be negative.
// The padding around the volume is 0, so it must be the byte zp (the fp32 padding quantized),
// and the kernel's sums then hold zp * sum(w8) too much at every position:
//   y[o] = step_x * step_w[o] * (sum w8 * x8 - zp * sum over c, k of w8[o, c, k]) + bias[o],
// which the kernel applies as one scale and one shift per channel before the fp32 store.
// Same padded layout, bands and work units as DirectConv3d; 4 input channels are interleaved per
// position (vpdpbusd adds 4 byte products per 32-bit lane), missing ones are zero channels.

enum DirectConv3dInt8 {
    /// Whether this CPU runs CInt8Kernels: AVX-512 (as DirectConv3d needs) and AVX512_VNNI.
    static let cpuHasAVX512VNNI: Bool = {
        #if arch(x86_64) && os(Linux)
        guard DirectConv3d.cpuHasAVX512,
              let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        return flagsLine.split(separator: " ").contains("avx512_vnni")
        #else
        return false
        #endif
    }()

    typealias Geometry = DirectConv3d.Geometry

    /// The activation quantization of a tensor: x8 = round(x / step) + zeroPoint, clamped to 0 ... 255.
    struct ActivationQuantization: Equatable {
        let step: Float, zeroPoint: Int32

        /// From the range of `values`, widened to hold 0 (the padding).
        init(range values: [Float]) {
            var lo: Float = 0, hi: Float = 0
            if !values.isEmpty { values.withUnsafeBufferPointer { lits_int8_min_max($0.baseAddress!, $0.count, &lo, &hi) } }
            lo = min(lo, 0); hi = max(hi, 0)
            let step = hi > lo ? (hi - lo) / 255 : 1
            self.step = step
            zeroPoint = Int32(max(0, min(255, (-lo / step).rounded(.toNearestOrEven))))
        }
    }

    /// A weight w[o, c, k] quantized per output channel and packed for the forward kernel:
    /// (roundUp(outChannels) / 4, quads, 27, 4) quads of bytes (w8[o, 4p + l, k] in byte l),
    /// zero for padding channels; with each channel's step and its sum of w8.
    static func packForward(_ weight: (_ o: Int, _ c: Int, _ k: Int) -> Float, outChannels: Int,
                            inChannels: Int) -> (packed: [UInt32], step: [Float], sum: [Int32]) {
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
                sums[o] += Int32(q)
            } }
        }
        let packed = bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        return (packed, steps, sums)
    }

    /// Forward of a kernel-3 Conv3d in int8: y = conv(x, weight * scale[o]) + bias (the scale, if
    /// given, applied before quantizing), max(y, 0) if `relu`. Inputs and weights are quantized
    /// as above; sums are exact, the dequantized output fp32.
    static func forward(_ x: Tensor, weight: Tensor, bias: [Float], outChannels: Int,
                        scale: [Float]? = nil, relu: Bool = false, workers: Int) -> Tensor {
        let (n, cin, d, h, w) = x.ncdhw
        let g = Geometry(d: d, h: h, w: w), quads = (cin + 3) / 4, cs = g.channelStride
        let wd = weight.data
        let (packed, wStep, wSum) = packForward({ o, c, k in wd[(o * cin + c) * 27 + k] * (scale?[o] ?? 1) },
                                                outChannels: outChannels, inChannels: cin)
        let xq = ActivationQuantization(range: x.data)
        let outScale = wStep.indices.map { o in o < outChannels ? xq.step * wStep[o] : 0 }
        let outShift = wStep.indices.map { o in -Float(xq.zeroPoint) * Float(wSum[o]) * outScale[o] }
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
                            func channel(_ l: Int) -> UnsafePointer<Float>? { 4 * p + l < cin ? UnsafePointer(src.p + (4 * p + l) * cs) : nil }
                            lits_int8_pack_quads(channel(0), channel(1), channel(2), channel(3), cs, xq.step, xq.zeroPoint,
                                                 dst.p + p * cs)
                        }
                    }
                    convolve(quads: xp, inQuads: quads, g, packed: packed, scale: outScale, shift: outShift,
                             outChannels: outChannels, bias: bias, relu: relu,
                             into: SharedPointer(yp + b * outChannels * d * h * w), workers: workers)
                }
            }
        }
    }

    /// out (outChannels, D, H, W) of one item from the packed quads `xp`, one band of rows of one
    /// plane per work unit, as DirectConv3dBF16.convolve.
    static func convolve(quads xp: UnsafePointer<UInt32>, inQuads: Int, _ g: Geometry, packed: [UInt32],
                         scale: [Float], shift: [Float], outChannels: Int, bias: [Float]?, relu: Bool,
                         into out: SharedPointer<Float>, workers: Int) {
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
                    lits_int8_conv_forward(xp, cs, inQuads, op.baseAddress!, wp.baseAddress!, blocks,
                                           g.planeStart(plane) + rows.lowerBound * g.wp, g.chunks(rows: rows),
                                           sp.baseAddress!, tp.baseAddress!, z, zStride)
                    DirectConv3d.store(band: z, zStride: zStride, plane: plane, rows: rows, g, outChannels: outChannels,
                                       bias: bias, relu: relu, into: out)
                }
            }
        } } } }
    }
}
