import Foundation
import LiTSConvKernels

// Conv3d's kernel-3 passes through the direct kernels (no im2col: DirectKernels.swift picks the
// AVX-512 or the AVX2 set), used where a NetContext says `.direct` or `.directAVX2`: each item is copied once into a zero-padded buffer, the kernels work
// on bands of rows of its padded planes, and the real voxels are copied out. The im2col +
// OpenBLAS path in Conv3d.swift is the fallback on CPUs without AVX2 and the reference the
// tests compare this path with. Work units run on the caller's `workers` (NetThreads.swift).
// The register blocking and band size come from a KernelShape (KernelShape.swift): the caller's,
// or the one KernelShapeTuner chose for this CPU.

enum DirectConv3d {
    /// Whether this CPU runs the kernels (AVX-512 F, BW, DQ, VL): everything in LiTSConvKernels
    /// is built for AVX-512 (CPUInfo.swift says why the check lives here).
    static let cpuHasAVX512 = CPUInfo.has(["avx512f", "avx512bw", "avx512dq", "avx512vl"])

    /// A (D, H, W) volume padded by one voxel on every side, each channel flattened.
    struct Geometry {
        let d: Int, h: Int, w: Int
        /// Padded positions per forward kernel chunk (`KernelShape.forwardChunk`).
        var chunk = DirectConvolution.chunk
        /// Padded positions per work unit (`KernelShape.bandPositions`).
        var bandPositions = DirectConv3d.bandPositions
        var wp: Int { w + 2 }
        var plane: Int { (h + 2) * (w + 2) }
        /// Floats from one channel to the next: the padded volume, then zeroed slack that the
        /// kernels may read past the last position (the AVX-512 slack, which covers the AVX2
        /// kernels' too), rounded to whole 64-byte lines.
        var channelStride: Int { ((d + 2) * plane + DirectConvolution.slack + 15) / 16 * 16 }
        /// The padded position of voxel (z, 0, 0); voxel (z, y, x) is at planeStart(z) + y*wp + x.
        func planeStart(_ z: Int) -> Int { (z + 1) * plane + wp + 1 }
        /// Rows per work unit ("band"): about `bandPositions` padded positions, so that a band's
        /// output buffer and the rows its kernels stream stay in the core's L2 cache.
        var bandRows: Int { max(1, min(h, bandPositions / wp)) }
        var bands: Int { (h + bandRows - 1) / bandRows }
        /// Rows y0 ..< y1 of band `band`.
        func bandRange(_ band: Int) -> Range<Int> { (band * bandRows)..<min(h, (band + 1) * bandRows) }
        /// Padded positions from voxel (z, y0, 0) to (z, y1-1, W-1), inclusive, for rows y0 ..< y1.
        func length(rows: Range<Int>) -> Int { (rows.count - 1) * wp + w }
        func chunks(rows: Range<Int>) -> Int { (length(rows: rows) + chunk - 1) / chunk }
        /// The 27 taps (a, b, e) of a 3x3x3 kernel, in weight order, as position offsets.
        var offsets: [Int] {
            var o: [Int] = []
            for a in 0..<3 { for b in 0..<3 { for e in 0..<3 { o.append((a - 1) * plane + (b - 1) * wp + (e - 1)) } } }
            return o
        }
    }

    /// Padded positions per work unit ("band"), see `Geometry.bandRows`: a band's buffers fit in
    /// a core's L2 cache, where a whole plane would not (one 16-channel output plane of 168x168 is
    /// 1.8 MB). How it was chosen: benchmarks/constants.md. The built-in shape's band, and
    /// always the weight gradient's (`KernelShape.weightGradientBandPositions`).
    static let bandPositions = 4096

    /// `c` rounded up to a multiple of `multiple` (the kernels' output channels per block).
    static func roundUp(_ c: Int, to multiple: Int = DirectConvolution.outputBlock) -> Int {
        (c + multiple - 1) / multiple * multiple
    }

    /// `shape`, or the shape this process uses for `kernels` (KernelShapeTuner) when nil.
    static func resolve(_ shape: KernelShape?, _ kernels: DirectKernels) -> KernelShape {
        let s = shape ?? KernelShapeTuner.shared.shape(for: kernels)
        precondition(s.kernels == kernels && s.isValid, "kernel shape \(s) is not for the \(kernels.name) kernels")
        return s
    }

    /// A padded copy of one item x (C, D, H, W) into `out`, with `paddedChannels` >= C channels
    /// (the extra ones zero). Every float of the buffer is written: the kernels read padding and
    /// slack. Items are padded one at a time, so the copy costs one item's memory.
    static func pad(_ x: UnsafePointer<Float>, channels: Int, paddedChannels: Int, _ g: Geometry,
                    into out: UnsafeMutablePointer<Float>, workers: Int) {
        let cs = g.channelStride, volume = g.d * g.h * g.w
        let shared = SharedPointer(out)
        NetThreads.parallelChunks(paddedChannels, workers: workers) { _, chunk in
            for c in chunk {
                let dst = shared.p + c * cs
                guard c < channels else { dst.update(repeating: 0, count: cs); continue }
                let src = x + c * volume
                dst.update(repeating: 0, count: g.plane + g.wp)
                for z in 0..<g.d {
                    for y in 0..<g.h {
                        let row = dst + g.planeStart(z) + y * g.wp
                        (row - 1).pointee = 0
                        row.update(from: src + (z * g.h + y) * g.w, count: g.w)
                        row[g.w] = 0
                    }
                    // The pad row after the last line and the one before the next plane's first.
                    let after = dst + g.planeStart(z) + g.h * g.wp - 1
                    let next = z + 1 < g.d ? dst + g.planeStart(z + 1) - 1 : dst + cs
                    after.update(repeating: 0, count: next - after)
                }
            }
        }
    }

    /// Packs a weight w[o, c, k] (outChannels, inChannels, 27) for the forward kernel:
    /// (roundUp(outChannels, to: multiple) / 4, inChannels, 27, 4), zero for the padding output channels.
    static func packForward(_ weight: (_ o: Int, _ c: Int, _ k: Int) -> Float, outChannels: Int, inChannels: Int,
                            multiple: Int = DirectConvolution.outputBlock) -> [Float] {
        let blocks = roundUp(outChannels, to: multiple) / 4
        var packed = [Float](repeating: 0, count: blocks * inChannels * 27 * 4)
        for o in 0..<outChannels { for c in 0..<inChannels { for k in 0..<27 {
            packed[(((o / 4) * inChannels + c) * 27 + k) * 4 + o % 4] = weight(o, c, k)
        } } }
        return packed
    }

    /// A band's accumulator rows `z` (per output channel, padded row width) into `out` (outChannels,
    /// D, H, W) of one item, plus `bias` if given, max(., 0) if `relu`.
    /// Only the channels in `channels` where given (a group of a band's channels).
    static func store(band z: UnsafeMutablePointer<Float>, zStride: Int, plane: Int, rows: Range<Int>, _ g: Geometry,
                      outChannels: Int, bias: [Float]?, relu: Bool, into out: SharedPointer<Float>,
                      channels: Range<Int>? = nil) {
        let volume = g.d * g.h * g.w
        for o in channels ?? 0..<outChannels {
            let add = bias?[o] ?? 0
            let dst = out.p + o * volume + (plane * g.h + rows.lowerBound) * g.w
            for y in 0..<rows.count {
                let src = z + o * zStride + y * g.wp, row = dst + y * g.w
                if relu {
                    for i in 0..<g.w { let v = src[i] + add; row[i] = v < 0 ? 0 : v }
                } else {
                    for i in 0..<g.w { row[i] = src[i] + add }
                }
            }
        }
    }

    /// out (outChannels, D, H, W) of one item = convolution of the padded `xp` (inChannels
    /// channels used) with the weight packed for `shape` (`packForward`, multiple
    /// `forwardOutputMultiple`), plus `bias` if given, max(., 0) if `relu`. One work unit is one
    /// band of rows of one plane (`g.chunk` = `shape.forwardChunk`), and one group of output
    /// channels where there are fewer than two bands per worker (`channelGroups`); each writes
    /// its own part of `out`.
    static func convolve(padded xp: UnsafePointer<Float>, inChannels: Int, _ g: Geometry, packed: [Float],
                         outChannels: Int, bias: [Float]?, relu: Bool = false, into out: SharedPointer<Float>,
                         shape: KernelShape, workers: Int) {
        precondition(g.chunk == shape.forwardChunk, "the geometry's chunk is not the kernels'")
        let kernels = shape.kernels!, blocking = shape.forward
        let cs = g.channelStride, blocks = roundUp(outChannels, to: shape.forwardOutputMultiple) / 4
        let zStride = g.chunks(rows: g.bandRange(0)) * g.chunk
        let offsets = g.offsets
        // Output channels in `groups` groups of whole kernel blocks (`step` packed blocks of 4).
        let step = shape.forwardOutputMultiple / 4, spans = blocks / step
        let groups = channelGroups(bands: g.d * g.bands, spans: spans, workers: workers)
        offsets.withUnsafeBufferPointer { op in
        packed.withUnsafeBufferPointer { wp in
            NetThreads.parallelChunks(g.d * g.bands * groups, workers: workers) { _, units in
                let z = UnsafeMutablePointer<Float>.allocate(capacity: blocks * 4 * zStride)   // (roundUp(Cout), band chunks*chunk)
                defer { z.deallocate() }
                for unit in units {
                    let band = unit / groups, group = unit % groups
                    let plane = band / g.bands, rows = g.bandRange(band % g.bands)
                    let b0 = group * spans / groups * step, b1 = (group + 1) * spans / groups * step
                    kernels.forward(blocking, x: xp, channelStride: cs, inChannels: inChannels,
                                    offsets: op.baseAddress!, weights: wp.baseAddress! + b0 * inChannels * 27 * 4,
                                    outputBlocks: b1 - b0, q0: g.planeStart(plane) + rows.lowerBound * g.wp,
                                    chunks: g.chunks(rows: rows), z: z + b0 * 4 * zStride, zStride: zStride)
                    DirectConv3d.store(band: z, zStride: zStride, plane: plane, rows: rows, g, outChannels: outChannels,
                                       bias: bias, relu: relu, into: out, channels: min(outChannels, b0 * 4)..<min(outChannels, b1 * 4))
                }
            }
        } }
    }

    /// Output-channel groups per band: 1 where there are at least two bands per worker, else as
    /// many as give two units per worker (at most `spans`, the kernel blocks). Splitting a band's
    /// channels leaves every output's sum as it is, so the result is the same bit for bit; it
    /// keeps more cores busy on small, deep layers (a 2 x 21 x 21 volume is 2 bands).
    static func channelGroups(bands: Int, spans: Int, workers: Int) -> Int {
        guard bands < 2 * workers, spans > 1 else { return 1 }
        return min(spans, (2 * workers + bands - 1) / bands)
    }

    /// Forward of a kernel-3 Conv3d: y = conv(x, weight) + bias, each output channel's weights
    /// multiplied by `scale[o]` if given, and max(y, 0) if `relu`. `shape` nil: this process's
    /// shape for `kernels` (the result is bit-identical for every shape).
    static func forward(_ x: Tensor, weight: Tensor, bias: [Float], outChannels: Int,
                        scale: [Float]? = nil, relu: Bool = false, kernels: DirectKernels, shape: KernelShape? = nil,
                        workers: Int) -> Tensor {
        let shape = resolve(shape, kernels)
        let (n, cin, d, h, w) = x.ncdhw
        let g = Geometry(d: d, h: h, w: w, chunk: shape.forwardChunk, bandPositions: shape.bandPositions)
        let wd = weight.data
        let packed = packForward({ o, c, k in wd[(o * cin + c) * 27 + k] * (scale?[o] ?? 1) },
                                 outChannels: outChannels, inChannels: cin, multiple: shape.forwardOutputMultiple)
        let xp = UnsafeMutablePointer<Float>.allocate(capacity: cin * g.channelStride)   // (Cin, channelStride): one padded item
        defer { xp.deallocate() }
        return Tensor.uninitialized([n, outChannels, d, h, w]) { yp in
            x.data.withUnsafeBufferPointer { xb in
                for b in 0..<n {
                    pad(xb.baseAddress! + b * cin * d * h * w, channels: cin, paddedChannels: cin, g, into: xp, workers: workers)
                    convolve(padded: xp, inChannels: cin, g, packed: packed, outChannels: outChannels, bias: bias,
                             relu: relu, into: SharedPointer(yp + b * outChannels * d * h * w), shape: shape,
                             workers: workers)
                }
            }
        }
    }

    /// Backward of a kernel-3 Conv3d. Adds dW (Cout, Cin, 27) and dbias to `weightGrad`,
    /// `biasGrad`; returns dx, or nil when `inputGradient` is false.
    ///   dx = conv(dy, Wf) with Wf[c, o, k] = W[o, c, 26 - k] (the flipped, transposed kernel)
    ///   dW[o, c, k] = sum over voxels q of dy[o, q] * x[c, q + offset k]
    /// dx follows `shape` (bit-identical for every shape); dW and dbias are summed over bands of
    /// `KernelShape.weightGradientBandPositions` whatever the shape, so their float sum order (and
    /// a training run's result) does not depend on what the tuner chose.
    static func backward(x: Tensor, dy: Tensor, weight: Tensor, inputGradient: Bool,
                         weightGrad: inout [Float], biasGrad: inout [Float], kernels: DirectKernels,
                         shape: KernelShape? = nil, workers requested: Int) -> Tensor? {
        let shape = resolve(shape, kernels)
        let (n, cin, d, h, w) = x.ncdhw
        let cout = dy.shape[1], coutP = roundUp(cout, to: shape.gradientOutputMultiple)
        let fg = Geometry(d: d, h: h, w: w, chunk: shape.forwardChunk, bandPositions: shape.bandPositions)   // dx
        let g = Geometry(d: d, h: h, w: w, bandPositions: KernelShape.weightGradientBandPositions)   // dW, dbias
        let volume = d * h * w, cs = g.channelStride
        let xp = UnsafeMutablePointer<Float>.allocate(capacity: cin * cs)   // (Cin, channelStride)
        let dyp = UnsafeMutablePointer<Float>.allocate(capacity: coutP * cs)   // (roundUp(Cout), channelStride)
        defer { xp.deallocate(); dyp.deallocate() }
        let wd = weight.data
        let flipped = inputGradient
            ? packForward({ c, o, k in wd[(o * cin + c) * 27 + 26 - k] }, outChannels: cin, inChannels: cout,
                          multiple: shape.forwardOutputMultiple) : []

        // Each worker sums its units' dW and dbias into its own part; the parts are added in
        // worker order (reproducible for a given number of workers).
        let units = d * g.bands, workers = min(max(1, requested), units)
        let wCount = coutP * cin * 27
        let parts = UnsafeMutablePointer<Float>.allocate(capacity: workers * (wCount + cout))   // (workers, dW (roundUp(Cout), Cin, 27) + db (Cout))
        parts.initialize(repeating: 0, count: workers * (wCount + cout))
        defer { parts.deallocate() }
        let shared = SharedPointer(parts)
        let offsets = g.offsets
        // Item by item: pad x and dy, write dx (if `dxp`), add up dW and dbias.
        func run(_ dxp: UnsafeMutablePointer<Float>?) {
        offsets.withUnsafeBufferPointer { op in
        x.data.withUnsafeBufferPointer { xb in
        dy.data.withUnsafeBufferPointer { dyb in
            for b in 0..<n {
                pad(xb.baseAddress! + b * cin * volume, channels: cin, paddedChannels: cin, g, into: xp, workers: requested)
                pad(dyb.baseAddress! + b * cout * volume, channels: cout, paddedChannels: coutP, g, into: dyp, workers: requested)
                if let dxp {
                    convolve(padded: dyp, inChannels: cout, fg, packed: flipped, outChannels: cin, bias: nil,
                             into: SharedPointer(dxp + b * cin * volume), shape: shape, workers: requested)
                }
                NetThreads.parallelChunks(units, workers: requested) { worker, chunk in
                    let dW = shared.p + worker * (wCount + cout), db = dW + wCount
                    for unit in chunk {
                        let plane = unit / g.bands, rows = g.bandRange(unit % g.bands)
                        kernels.weightGradient(shape.gradient, dy: dyp, dyStride: cs, x: xp, xStride: cs, inChannels: cin,
                                               offsets: op.baseAddress!, outputBlocks: coutP / 4,
                                               q0: g.planeStart(plane) + rows.lowerBound * g.wp,
                                               count: g.length(rows: rows), dW: dW)
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
