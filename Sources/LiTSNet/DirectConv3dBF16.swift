import CBF16Kernels
import Foundation
import LiTSConvKernels

// The kernel-3 convolution in bf16 (CBF16Kernels: vdpbf16ps, fp32 accumulation), for mixed
// precision: inputs, gradients and weights are rounded to bf16 (8 significant bits) where the
// kernels read them; every sum, output and gradient stays fp32. Same padded layout, bands and
// work units as DirectConv3d (the fp32 path, which this file leaves as it is):
// - forward and input gradient read channels in pairs, interleaved (vdpbf16ps multiplies two
//   bf16 values per fp32 lane and adds both products), so odd channel counts get a zero channel;
// - the weight gradient sums over positions, so it pairs consecutive positions of plain bf16
//   channels instead.
// Each item is padded in fp32 first (DirectConv3d.pad), then converted.

enum DirectConv3dBF16 {
    /// Whether this CPU runs CBF16Kernels: AVX-512 (as DirectConv3d needs) and AVX512_BF16.
    /// Checked here, in code built for any x86-64, for the same reason as `cpuHasAVX512`.
    static let cpuHasAVX512BF16 = DirectConv3d.cpuHasAVX512 && CPUInfo.has(["avx512_bf16"])

    typealias Geometry = DirectConv3d.Geometry

    /// bf16 values of `values`, rounded to nearest even.
    static func bf16(_ values: [Float]) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { lits_bf16_convert($0.baseAddress!, values.count, out.baseAddress!) }
            initialized = values.count
        }
    }

    /// One item x (C, D, H, W) padded (`scratch`: 2 * pairs fp32 channels) and packed as `pairs`
    /// interleaved channel pairs into `out` (pairs, channelStride).
    static func padPairs(_ x: UnsafePointer<Float>, channels: Int, pairs: Int, _ g: Geometry,
                         scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<UInt32>, workers: Int) {
        let cs = g.channelStride
        DirectConv3d.pad(x, channels: channels, paddedChannels: 2 * pairs, g, into: scratch, workers: workers)
        let src = SharedPointer(scratch), dst = SharedPointer(out)
        NetThreads.parallelChunks(pairs, workers: workers) { _, chunk in
            for p in chunk { lits_bf16_pack_pairs(src.p + 2 * p * cs, src.p + (2 * p + 1) * cs, cs, dst.p + p * cs) }
        }
    }

    /// The padded fp32 channels `channels` of `scratch` (channelStride each) as plain bf16.
    static func convertChannels(_ scratch: UnsafePointer<Float>, channels: Int, _ g: Geometry,
                                into out: UnsafeMutablePointer<UInt16>, workers: Int) {
        let cs = g.channelStride, dst = SharedPointer(out)
        NetThreads.parallelChunks(channels, workers: workers) { _, chunk in
            for c in chunk { lits_bf16_convert(scratch + c * cs, cs, dst.p + c * cs) }
        }
    }

    /// A weight w[o, c, k] packed for the forward kernel: (roundUp(outChannels) / 4, pairs, 27, 4)
    /// pairs (w[o, 2p, k] low, w[o, 2p+1, k] high), zero for padding channels; `pairs` defaults
    /// to the fewest that hold `inChannels`.
    static func packForward(_ weight: (_ o: Int, _ c: Int, _ k: Int) -> Float, outChannels: Int, inChannels: Int,
                            pairs requested: Int? = nil) -> [UInt16] {
        let blocks = DirectConv3d.roundUp(outChannels) / 4, pairs = requested ?? (inChannels + 1) / 2
        var packed = [Float](repeating: 0, count: blocks * pairs * 27 * 4 * 2)
        for o in 0..<outChannels { for c in 0..<inChannels { for k in 0..<27 {
            packed[((((o / 4) * pairs + c / 2) * 27 + k) * 4 + o % 4) * 2 + c % 2] = weight(o, c, k)
        } } }
        return bf16(packed)
    }

    /// out (outChannels, D, H, W) of one item = convolution of the packed pairs `xp` with the
    /// packed weight, plus `bias` if given, max(., 0) if `relu`. One work unit is one band of rows of one plane.
    static func convolve(pairs xp: UnsafePointer<UInt32>, inPairs: Int, _ g: Geometry, packed: [UInt16],
                         outChannels: Int, bias: [Float]?, relu: Bool = false, into out: SharedPointer<Float>, workers: Int) {
        let cs = g.channelStride, blocks = DirectConv3d.roundUp(outChannels) / 4
        let zStride = g.chunks(rows: g.bandRange(0)) * DirectConvolution.chunk
        let offsets = g.offsets
        offsets.withUnsafeBufferPointer { op in
        packed.withUnsafeBytes { wb in
            let weights = wb.bindMemory(to: UInt32.self).baseAddress!
            NetThreads.parallelChunks(g.d * g.bands, workers: workers) { _, units in
                let z = UnsafeMutablePointer<Float>.allocate(capacity: blocks * 4 * zStride)   // (roundUp(Cout), band chunks*96)
                defer { z.deallocate() }
                for unit in units {
                    let plane = unit / g.bands, rows = g.bandRange(unit % g.bands)
                    lits_bf16_conv_forward(xp, cs, inPairs, op.baseAddress!, weights, blocks,
                                           g.planeStart(plane) + rows.lowerBound * g.wp, g.chunks(rows: rows), z, zStride)
                    DirectConv3d.store(band: z, zStride: zStride, plane: plane, rows: rows, g, outChannels: outChannels,
                                       bias: bias, relu: relu, into: out)
                }
            }
        } }
    }

    /// Forward of a kernel-3 Conv3d in bf16: y = conv(bf16(x), bf16(weight * scale[o])) + bias in
    /// fp32 (the scale, if given, applied before rounding), max(y, 0) if `relu`.
    static func forward(_ x: Tensor, weight: Tensor, bias: [Float], outChannels: Int,
                        scale: [Float]? = nil, relu: Bool = false, workers: Int) -> Tensor {
        let (n, cin, d, h, w) = x.ncdhw
        let g = Geometry(d: d, h: h, w: w), pairs = (cin + 1) / 2, cs = g.channelStride
        let wd = weight.data
        let packed = packForward({ o, c, k in wd[(o * cin + c) * 27 + k] * (scale?[o] ?? 1) },
                                 outChannels: outChannels, inChannels: cin)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * pairs * cs)   // (2 * pairs, channelStride) fp32
        let xp = UnsafeMutablePointer<UInt32>.allocate(capacity: pairs * cs)            // (pairs, channelStride) bf16 pairs
        defer { scratch.deallocate(); xp.deallocate() }
        return Tensor.uninitialized([n, outChannels, d, h, w]) { yp in
            x.data.withUnsafeBufferPointer { xb in
                for b in 0..<n {
                    padPairs(xb.baseAddress! + b * cin * d * h * w, channels: cin, pairs: pairs, g, scratch: scratch,
                             into: xp, workers: workers)
                    convolve(pairs: xp, inPairs: pairs, g, packed: packed, outChannels: outChannels, bias: bias, relu: relu,
                             into: SharedPointer(yp + b * outChannels * d * h * w), workers: workers)
                }
            }
        }
    }

    /// Backward of a kernel-3 Conv3d in bf16, as DirectConv3d.backward: adds dW and dbias (dbias
    /// summed from the fp32 dy) to `weightGrad`, `biasGrad`; returns dx, or nil.
    static func backward(x: Tensor, dy: Tensor, weight: Tensor, inputGradient: Bool,
                         weightGrad: inout [Float], biasGrad: inout [Float], workers requested: Int) -> Tensor? {
        let (n, cin, d, h, w) = x.ncdhw
        let cout = dy.shape[1], coutP = DirectConv3d.roundUp(cout)
        let g = Geometry(d: d, h: h, w: w)
        let volume = d * h * w, cs = g.channelStride
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(cin, coutP) * cs)   // one padded fp32 item
        let xb16 = UnsafeMutablePointer<UInt16>.allocate(capacity: cin * cs)     // (Cin, channelStride) bf16
        let dyb16 = UnsafeMutablePointer<UInt16>.allocate(capacity: coutP * cs)  // (roundUp(Cout), channelStride) bf16
        let dyPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: coutP / 2 * cs)  // (roundUp(Cout) / 2, channelStride)
        defer { scratch.deallocate(); xb16.deallocate(); dyb16.deallocate(); dyPairs.deallocate() }
        let wd = weight.data
        let flipped = inputGradient
            ? packForward({ c, o, k in wd[(o * cin + c) * 27 + 26 - k] }, outChannels: cin, inChannels: cout, pairs: coutP / 2) : []

        // Per-worker dW and dbias parts, added in worker order, as in DirectConv3d.backward.
        let units = d * g.bands, workers = min(max(1, requested), units)
        let wCount = coutP * cin * 27
        let parts = UnsafeMutablePointer<Float>.allocate(capacity: workers * (wCount + cout))   // (workers, dW + db)
        parts.initialize(repeating: 0, count: workers * (wCount + cout))
        defer { parts.deallocate() }
        let shared = SharedPointer(parts)
        let offsets = g.offsets
        func run(_ dxp: UnsafeMutablePointer<Float>?) {
        offsets.withUnsafeBufferPointer { op in
        x.data.withUnsafeBufferPointer { xb in
        dy.data.withUnsafeBufferPointer { dyb in
            for b in 0..<n {
                DirectConv3d.pad(xb.baseAddress! + b * cin * volume, channels: cin, paddedChannels: cin, g, into: scratch, workers: requested)
                convertChannels(scratch, channels: cin, g, into: xb16, workers: requested)
                DirectConv3d.pad(dyb.baseAddress! + b * cout * volume, channels: cout, paddedChannels: coutP, g, into: scratch, workers: requested)
                convertChannels(scratch, channels: coutP, g, into: dyb16, workers: requested)
                if let dxp {
                    let src = SharedPointer(scratch), dst = SharedPointer(dyPairs)
                    NetThreads.parallelChunks(coutP / 2, workers: requested) { _, chunk in
                        for p in chunk { lits_bf16_pack_pairs(src.p + 2 * p * cs, src.p + (2 * p + 1) * cs, cs, dst.p + p * cs) }
                    }
                    convolve(pairs: dyPairs, inPairs: coutP / 2, g, packed: flipped, outChannels: cin, bias: nil,
                             into: SharedPointer(dxp + b * cin * volume), workers: requested)
                }
                NetThreads.parallelChunks(units, workers: requested) { worker, chunk in
                    let dW = shared.p + worker * (wCount + cout), db = dW + wCount
                    for unit in chunk {
                        let plane = unit / g.bands, rows = g.bandRange(unit % g.bands)
                        lits_bf16_conv_weight_gradient(dyb16, cs, xb16, cs, cin, op.baseAddress!, coutP / 4,
                                                       g.planeStart(plane) + rows.lowerBound * g.wp,
                                                       g.length(rows: rows), dW)
                        for o in 0..<cout {
                            let start = dyb.baseAddress! + (b * cout + o) * volume + (plane * h + rows.lowerBound) * w
                            db[o] += Float(Sums.sum(start, rows.count * w))
                        }
                    }
                }
            }
        } } }
        }
        var dx: Tensor?
        if inputGradient { dx = Tensor.uninitialized(x.shape) { run($0) } } else { run(nil) }
        for worker in 0..<workers {
            let dW = parts + worker * (wCount + cout), db = dW + wCount
            for i in 0..<(cout * cin * 27) { weightGrad[i] += dW[i] }
            for o in 0..<cout { biasGrad[o] += db[o] }
        }
        return dx
    }
}
