import Foundation

/// ReLU: y = max(x, 0); dx = dy where y > 0, else 0. Caches its output (shared storage with the
/// returned tensor, so it costs no copy unless the caller mutates the output).
public final class ReLU: Module {
    private var cachedOutput: Tensor?

    /// Workers for the layer's calls (a UNet3D hands its own context to every layer).
    public var context: NetContext

    public init(context: NetContext = .default) { self.context = context }

    public var namedParameters: [(String, Parameter)] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        let y = Tensor.uninitialized(x.shape) { yp in
            let out = SharedPointer(yp)
            x.data.withUnsafeBufferPointer { xp in
                // A NaN stays NaN, as in PyTorch (NaN < 0 is false).
                NetThreads.parallelRanges(xp.count, workers: context.workers) { r in
                    for i in r { let v = xp[i]; out.p[i] = v < 0 ? 0 : v }
                }
            }
        }
        cachedOutput = y
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = cachedOutput else { preconditionFailure("ReLU.backward called without a forward before it") }
        cachedOutput = nil
        precondition(dy.shape == y.shape, "ReLU.backward: dy has shape \(dy.shape), expected \(y.shape)")
        return Tensor.uninitialized(dy.shape) { dxp in
            let out = SharedPointer(dxp)
            dy.data.withUnsafeBufferPointer { g in
                y.data.withUnsafeBufferPointer { yp in
                    NetThreads.parallelRanges(g.count, workers: context.workers) { r in
                        // Both values loaded first: a select between them vectorises, a
                        // conditional load does not.
                        for i in r { let gi = g[i], yi = yp[i]; out.p[i] = yi > 0 ? gi : 0 }
                    }
                }
            }
        }
    }
}

/// Sigmoid: y = 1 / (1 + exp(-x)); dx = dy * y * (1 - y). Computed without overflow for large |x|.
public final class Sigmoid: Module {
    private var cachedOutput: Tensor?

    public init() {}

    public var namedParameters: [(String, Parameter)] { [] }

    public func forward(_ x: Tensor) -> Tensor {
        let y = Tensor.uninitialized(x.shape) { yp in
            x.data.withUnsafeBufferPointer { xp in
                for i in 0..<xp.count { yp[i] = Sigmoid.sigmoid(xp[i]) }
            }
        }
        cachedOutput = y
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = cachedOutput else { preconditionFailure("Sigmoid.backward called without a forward before it") }
        cachedOutput = nil
        precondition(dy.shape == y.shape, "Sigmoid.backward: dy has shape \(dy.shape), expected \(y.shape)")
        return Tensor.uninitialized(dy.shape) { dxp in
            dy.data.withUnsafeBufferPointer { g in
                y.data.withUnsafeBufferPointer { yp in
                    for i in 0..<g.count { dxp[i] = g[i] * yp[i] * (1 - yp[i]) }
                }
            }
        }
    }

    /// 1 / (1 + e^-x), written so that exp never overflows.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }
}

// MARK: - Skip connections

/// Concatenates two (N, C, D, H, W) tensors along channels: (N, Ca + Cb, D, H, W), a first.
/// The U-Net's skip connection: cat([upsampled, skip], dim: 1).
public func concatChannels(_ a: Tensor, _ b: Tensor) -> Tensor {
    let sa = a.ncdhw, sb = b.ncdhw
    precondition(sa.n == sb.n && sa.d == sb.d && sa.h == sb.h && sa.w == sb.w,
                 "concatChannels: shapes \(a.shape) and \(b.shape) differ outside the channel axis")
    let s = sa.d * sa.h * sa.w, ca = sa.c * s, cb = sb.c * s
    var out = Tensor(shape: [sa.n, sa.c + sb.c, sa.d, sa.h, sa.w])
    out.data.withUnsafeMutableBufferPointer { o in
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                for n in 0..<sa.n {
                    let base = o.baseAddress! + n * (ca + cb)
                    base.update(from: ap.baseAddress! + n * ca, count: ca)
                    (base + ca).update(from: bp.baseAddress! + n * cb, count: cb)
                }
            }
        }
    }
    return out
}

/// Backward of `concatChannels`: splits dy (N, Ca + Cb, D, H, W) into (da, db) after the first
/// `channelsA` channels.
public func concatChannelsBackward(_ dy: Tensor, channelsA: Int) -> (Tensor, Tensor) {
    let (n, c, d, h, w) = dy.ncdhw
    precondition(channelsA >= 0 && channelsA <= c, "concatChannelsBackward: channelsA \(channelsA) outside 0...\(c)")
    let s = d * h * w, ca = channelsA * s, cb = (c - channelsA) * s
    var da = Tensor(shape: [n, channelsA, d, h, w]), db = Tensor(shape: [n, c - channelsA, d, h, w])
    dy.data.withUnsafeBufferPointer { g in
        da.data.withUnsafeMutableBufferPointer { ap in
            db.data.withUnsafeMutableBufferPointer { bp in
                for i in 0..<n {
                    let src = g.baseAddress! + i * (ca + cb)
                    (ap.baseAddress! + i * ca).update(from: src, count: ca)
                    (bp.baseAddress! + i * cb).update(from: src + ca, count: cb)
                }
            }
        }
    }
    return (da, db)
}

/// Residual connection: a + b, element-wise, same shapes.
public func residualAdd(_ a: Tensor, _ b: Tensor) -> Tensor {
    var out = a
    out += b
    return out
}

/// Backward of `residualAdd`: the gradient flows unchanged to both inputs.
public func residualAddBackward(_ dy: Tensor) -> (Tensor, Tensor) { (dy, dy) }
