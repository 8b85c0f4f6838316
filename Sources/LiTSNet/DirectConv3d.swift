import Foundation
import LiTSConvKernels

/// Conv3d's kernel-3 passes through `DirectConvolution` (AVX-512, no im2col): the volumes are
/// copied once into zero-padded buffers, the kernels work on whole padded planes, and the real
/// voxels are copied out. The im2col + OpenBLAS path in Conv3d.swift is the fallback on CPUs
/// without AVX-512 and the reference the tests compare this path with.
enum DirectConv3d {
    /// Whether Conv3d uses this path: where the CPU has AVX-512, unless the environment sets
    /// LITSNET_IM2COL=1 (to compare the two paths). Tests switch it off to compare as well.
    nonisolated(unsafe) static var enabled = DirectConvolution.isSupported
        && ProcessInfo.processInfo.environment["LITSNET_IM2COL"] != "1"

    /// A (D, H, W) volume padded by one voxel on every side, each channel flattened.
    struct Geometry {
        let d: Int, h: Int, w: Int
        var wp: Int { w + 2 }
        var plane: Int { (h + 2) * (w + 2) }
        /// Floats from one channel to the next: the padded volume, then zeroed slack that the
        /// kernels may read past the last position, rounded to whole 64-byte lines.
        var channelStride: Int { ((d + 2) * plane + DirectConvolution.slack + 15) / 16 * 16 }
        /// The padded position of voxel (z, 0, 0); voxel (z, y, x) is at planeStart(z) + y*wp + x.
        func planeStart(_ z: Int) -> Int { (z + 1) * plane + wp + 1 }
        /// Padded positions from voxel (z, 0, 0) to (z, H-1, W-1), inclusive.
        var planeLength: Int { (h - 1) * wp + w }
        var chunksPerPlane: Int { (planeLength + DirectConvolution.chunk - 1) / DirectConvolution.chunk }
        /// The 27 taps (a, b, e) of a 3x3x3 kernel, in weight order, as position offsets.
        var offsets: [Int] {
            var o: [Int] = []
            for a in 0..<3 { for b in 0..<3 { for e in 0..<3 { o.append((a - 1) * plane + (b - 1) * wp + (e - 1)) } } }
            return o
        }
    }

    static func roundUp(_ c: Int) -> Int {
        (c + DirectConvolution.outputBlock - 1) / DirectConvolution.outputBlock * DirectConvolution.outputBlock
    }

    /// A padded copy of x (N, C, D, H, W) with `paddedChannels` >= C channels per item (the extra
    /// ones zero). Every float of the buffer is written: the kernels read padding and slack.
    static func pad(_ x: UnsafePointer<Float>, n: Int, channels: Int, paddedChannels: Int,
                    _ g: Geometry) -> UnsafeMutablePointer<Float> {
        let cs = g.channelStride, volume = g.d * g.h * g.w
        let out = UnsafeMutablePointer<Float>.allocate(capacity: n * paddedChannels * cs)
        let shared = SharedPointer(out)
        NetThreads.parallelChunks(n * paddedChannels) { _, chunk in
            for item in chunk {
                let b = item / paddedChannels, c = item % paddedChannels
                let dst = shared.p + item * cs
                guard c < channels else { dst.update(repeating: 0, count: cs); continue }
                let src = x + (b * channels + c) * volume
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
        return out
    }

    /// Packs a weight w[o, c, k] (outChannels, inChannels, 27) for the forward kernel:
    /// (roundUp(outChannels) / 4, inChannels, 27, 4), zero for the padding output channels.
    static func packForward(_ weight: (_ o: Int, _ c: Int, _ k: Int) -> Float, outChannels: Int, inChannels: Int) -> [Float] {
        let blocks = roundUp(outChannels) / 4
        var packed = [Float](repeating: 0, count: blocks * inChannels * 27 * 4)
        for o in 0..<outChannels { for c in 0..<inChannels { for k in 0..<27 {
            packed[(((o / 4) * inChannels + c) * 27 + k) * 4 + o % 4] = weight(o, c, k)
        } } }
        return packed
    }

    /// out (N, outChannels, D, H, W) = convolution of the padded `xp` (N, inChannels padded
    /// channels) with the packed weight, plus `bias` if given. One work unit is one plane z of
    /// one item; each writes its own part of `out`.
    static func convolve(padded xp: UnsafePointer<Float>, n: Int, inChannels: Int, paddedInChannels: Int,
                         _ g: Geometry, packed: [Float], outChannels: Int, bias: [Float]?, relu: Bool = false,
                         into out: SharedPointer<Float>) {
        let cs = g.channelStride, blocks = roundUp(outChannels) / 4
        let zStride = g.chunksPerPlane * DirectConvolution.chunk, volume = g.d * g.h * g.w
        let offsets = g.offsets
        offsets.withUnsafeBufferPointer { op in
        packed.withUnsafeBufferPointer { wp in
            NetThreads.parallelChunks(n * g.d) { _, units in
                let z = UnsafeMutablePointer<Float>.allocate(capacity: blocks * 4 * zStride)
                defer { z.deallocate() }
                for unit in units {
                    let b = unit / g.d, plane = unit % g.d
                    DirectConvolution.forward(x: xp + b * paddedInChannels * cs, channelStride: cs, inChannels: inChannels,
                                              offsets: op.baseAddress!, weights: wp.baseAddress!, outputBlocks: blocks,
                                              q0: g.planeStart(plane), chunks: g.chunksPerPlane, z: z, zStride: zStride)
                    for o in 0..<outChannels {
                        let add = bias?[o] ?? 0
                        let dst = out.p + (b * outChannels + o) * volume + plane * g.h * g.w
                        for y in 0..<g.h {
                            let src = z + o * zStride + y * g.wp, row = dst + y * g.w
                            if relu {
                                for i in 0..<g.w { let v = src[i] + add; row[i] = v < 0 ? 0 : v }
                            } else {
                                for i in 0..<g.w { row[i] = src[i] + add }
                            }
                        }
                    }
                }
            }
        } }
    }

    /// Forward of a kernel-3 Conv3d: y = conv(x, weight) + bias, each output channel's weights
    /// multiplied by `scale[o]` if given, and max(y, 0) if `relu`.
    static func forward(_ x: Tensor, weight: Tensor, bias: [Float], outChannels: Int,
                        scale: [Float]? = nil, relu: Bool = false) -> Tensor {
        let (n, cin, d, h, w) = x.ncdhw
        let g = Geometry(d: d, h: h, w: w)
        let wd = weight.data
        let packed = packForward({ o, c, k in wd[(o * cin + c) * 27 + k] * (scale?[o] ?? 1) },
                                 outChannels: outChannels, inChannels: cin)
        let xp = x.data.withUnsafeBufferPointer { pad($0.baseAddress!, n: n, channels: cin, paddedChannels: cin, g) }
        defer { xp.deallocate() }
        return Tensor.uninitialized([n, outChannels, d, h, w]) { yp in
            convolve(padded: xp, n: n, inChannels: cin, paddedInChannels: cin, g, packed: packed,
                     outChannels: outChannels, bias: bias, relu: relu, into: SharedPointer(yp))
        }
    }

    /// Backward of a kernel-3 Conv3d. Adds dW (Cout, Cin, 27) and dbias to `weightGrad`,
    /// `biasGrad`; returns dx, or nil when `inputGradient` is false.
    ///   dx = conv(dy, Wf) with Wf[c, o, k] = W[o, c, 26 - k] (the flipped, transposed kernel)
    ///   dW[o, c, k] = sum over voxels q of dy[o, q] * x[c, q + offset k]
    static func backward(x: Tensor, dy: Tensor, weight: Tensor, inputGradient: Bool,
                         weightGrad: inout [Float], biasGrad: inout [Float]) -> Tensor? {
        let (n, cin, d, h, w) = x.ncdhw
        let cout = dy.shape[1], coutP = roundUp(cout)
        let g = Geometry(d: d, h: h, w: w)
        let volume = d * h * w
        let xp = x.data.withUnsafeBufferPointer { pad($0.baseAddress!, n: n, channels: cin, paddedChannels: cin, g) }
        let dyp = dy.data.withUnsafeBufferPointer { pad($0.baseAddress!, n: n, channels: cout, paddedChannels: coutP, g) }
        defer { xp.deallocate(); dyp.deallocate() }

        var dx: Tensor?
        if inputGradient {
            let wd = weight.data
            let packed = packForward({ c, o, k in wd[(o * cin + c) * 27 + 26 - k] }, outChannels: cin, inChannels: cout)
            dx = Tensor.uninitialized(x.shape) { dxp in
                convolve(padded: dyp, n: n, inChannels: cout, paddedInChannels: coutP, g, packed: packed,
                         outChannels: cin, bias: nil, into: SharedPointer(dxp))
            }
        }

        // Each worker sums its planes' dW and dbias into its own part; the parts are added in
        // worker order (reproducible for a given NetThreads.workers).
        let units = n * d, workers = min(max(1, NetThreads.workers), units)
        let wCount = coutP * cin * 27
        let parts = UnsafeMutablePointer<Float>.allocate(capacity: workers * (wCount + cout))
        parts.initialize(repeating: 0, count: workers * (wCount + cout))
        defer { parts.deallocate() }
        let shared = SharedPointer(parts), cs = g.channelStride
        let offsets = g.offsets
        offsets.withUnsafeBufferPointer { op in
        dy.data.withUnsafeBufferPointer { dyb in
            NetThreads.parallelChunks(units) { worker, chunk in
                let dW = shared.p + worker * (wCount + cout), db = dW + wCount
                for unit in chunk {
                    let b = unit / d, plane = unit % d
                    DirectConvolution.weightGradient(dy: dyp + b * coutP * cs, dyStride: cs, x: xp + b * cin * cs, xStride: cs,
                                                     inChannels: cin, offsets: op.baseAddress!, outputBlocks: coutP / 4,
                                                     q0: g.planeStart(plane), count: g.planeLength, dW: dW)
                    for o in 0..<cout {
                        db[o] += Float(Sums.sum(dyb.baseAddress! + (b * cout + o) * volume + plane * h * w, h * w))
                    }
                }
            }
        } }
        for worker in 0..<workers {
            let dW = parts + worker * (wCount + cout), db = dW + wCount
            for i in 0..<(cout * cin * 27) { weightGrad[i] += dW[i] }
            for o in 0..<cout { biasGrad[o] += db[o] }
        }
        return dx
    }
}
