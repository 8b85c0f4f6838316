import Foundation

/// 3D max pooling with kernel 2 and stride 2, as PyTorch's `nn.MaxPool3d(2)`. Sizes must be even
/// (the U-Net's patch sizes are multiples of 2^depth), so no voxel is dropped.
///
/// Forward: y[c, d, h, w] = max of the 2x2x2 block x[c, 2d..2d+1, 2h..2h+1, 2w..2w+1]; the
/// position of the maximum (the first one in (a, b, c) order on ties) is remembered.
/// Backward: each dy goes to the remembered position; every other dx is 0.
public final class MaxPool3d: Module {
    /// For every output voxel, the offset of its maximum inside its input channel volume.
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []

    /// Workers for the layer's calls (a UNet3D hands its own context to every layer).
    public var context: NetContext

    public init(context: NetContext = .default) { self.context = context }

    public var namedParameters: [(String, Parameter)] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, c, d, h, w) = x.ncdhw
        precondition(d % 2 == 0 && h % 2 == 0 && w % 2 == 0,
                     "MaxPool3d(2) needs even D, H, W, got \(x.shape); use patch sizes divisible by 2^depth")
        precondition(d * h * w <= Int(Int32.max), "MaxPool3d: channel volume too large for Int32 offsets")
        inputShape = x.shape
        let od = d / 2, oh = h / 2, ow = w / 2, s = d * h * w, os = od * oh * ow
        var y = Tensor(shape: [n, c, od, oh, ow])
        argmax = [Int32](repeating: 0, count: n * c * os)
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                argmax.withUnsafeMutableBufferPointer { ap in
                    let ys = SharedPointer(yp.baseAddress!), aps = SharedPointer(ap.baseAddress!)
                    let xb = xp.baseAddress!
                    NetThreads.parallelChunks(n * c, workers: context.workers) { _, planes in
                        for p in planes {
                            let xc = xb + p * s, yc = ys.p + p * os, ac = aps.p + p * os
                            var o = 0
                            for z in 0..<od { for yy in 0..<oh {
                                // The block's four input lines, (a, b) = (0, 0), (0, 1), (1, 0), (1, 1).
                                let l0 = (2 * z * h + 2 * yy) * w, l1 = l0 + w, l2 = l0 + h * w, l3 = l2 + w
                                for xx in 0..<ow {
                                    let e = 2 * xx
                                    var best = xc[l0 + e], at = l0 + e
                                    // The other seven in (a, b, e) order, the first maximum wins;
                                    // `!(v <= best)` also takes a NaN, which then stays (as in PyTorch).
                                    @inline(__always) func consider(_ i: Int) {
                                        let v = xc[i], take = !(v <= best) && !best.isNaN
                                        best = take ? v : best
                                        at = take ? i : at
                                    }
                                    consider(l0 + e + 1)
                                    consider(l1 + e); consider(l1 + e + 1)
                                    consider(l2 + e); consider(l2 + e + 1)
                                    consider(l3 + e); consider(l3 + e + 1)
                                    yc[o] = best
                                    ac[o] = Int32(at)
                                    o += 1
                                }
                            } }
                        }
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        precondition(!inputShape.isEmpty, "MaxPool3d.backward called without a forward before it")
        defer { argmax = []; inputShape = [] }
        let (n, c, d, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3], inputShape[4])
        precondition(dy.shape == [n, c, d / 2, h / 2, w / 2], "MaxPool3d.backward: dy has shape \(dy.shape), expected \([n, c, d / 2, h / 2, w / 2])")
        let s = d * h * w, os = s / 8
        var dx = Tensor(shape: inputShape)
        dy.data.withUnsafeBufferPointer { dyp in
            dx.data.withUnsafeMutableBufferPointer { dxp in
                argmax.withUnsafeBufferPointer { ap in
                    let dxs = SharedPointer(dxp.baseAddress!)
                    let dyb = dyp.baseAddress!, ab = ap.baseAddress!
                    NetThreads.parallelChunks(n * c, workers: context.workers) { _, planes in
                        for p in planes {
                            let dxc = dxs.p + p * s
                            for o in (p * os)..<((p + 1) * os) { dxc[Int(ab[o])] += dyb[o] }
                        }
                    }
                }
            }
        }
        return dx
    }
}
