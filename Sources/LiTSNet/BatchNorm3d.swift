import Foundation

/// Batch normalisation over (N, D, H, W) for each channel, as PyTorch's
/// `nn.BatchNorm3d(C, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)`.
///
/// Training mode normalises with the batch mean and the biased batch variance, then updates
/// the running statistics with the unbiased variance (as PyTorch):
///
///     running_mean = (1 - momentum) * running_mean + momentum * mean
///     running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)
///     num_batches_tracked += 1                        (m = N * D * H * W)
///
/// Eval mode normalises with the running statistics. The state dict has PyTorch's five names:
/// "weight", "bias" (parameters), "running_mean", "running_var" and "num_batches_tracked"
/// (buffers). `num_batches_tracked` is an int64 scalar in PyTorch; here it is a Float32 buffer
/// of shape [] holding a whole number (exact up to 2^24 batches), and `Module.writeSafetensors`
/// stores it as an I64 scalar so `load_state_dict(strict=True)` accepts the checkpoint.
/// (PyTorch only uses it when `momentum=None`; here momentum is always a number.)
public final class BatchNorm3d: Module {
    public let channels: Int
    public let eps: Float
    public let momentum: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Buffer
    public let runningVar: Buffer
    public let numBatchesTracked: Buffer
    public private(set) var isTraining = true

    // Saved by forward for backward: the normalised input, 1/sqrt(var + eps) per channel and
    // which statistics were used.
    private var xhat: [Float] = []
    private var invStd: [Float] = []
    private var savedShape: [Int] = []
    private var savedTraining = true

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        precondition(channels > 0, "BatchNorm3d needs at least one channel")
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        weight = Parameter(Tensor(shape: [channels], repeating: 1))
        bias = Parameter(Tensor(shape: [channels], repeating: 0))
        runningMean = Buffer(Tensor(shape: [channels], repeating: 0))
        runningVar = Buffer(Tensor(shape: [channels], repeating: 1))
        numBatchesTracked = Buffer(Tensor(shape: [], data: [0]))
    }

    public var namedParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }
    public var namedBuffers: [(String, Buffer)] {
        [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", numBatchesTracked)]
    }
    public func setTraining(_ training: Bool) { isTraining = training }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    // MARK: forward

    /// y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel.
    public func forward(_ x: Tensor) -> Tensor {
        let (n, c, d, h, w) = x.ncdhw
        precondition(c == channels, "BatchNorm3d(\(channels)) got \(c) channels")
        let s = d * h * w, m = n * s
        var out = Tensor(shape: x.shape)
        xhat = [Float](repeating: 0, count: x.count)
        invStd = [Float](repeating: 0, count: c)
        savedShape = x.shape
        savedTraining = isTraining
        if isTraining {
            precondition(m > 1, "BatchNorm3d in training mode needs more than one value per channel, got input \(x.shape)")
        }
        x.data.withUnsafeBufferPointer { xp in
            out.data.withUnsafeMutableBufferPointer { yp in
                xhat.withUnsafeMutableBufferPointer { hp in
                    for ch in 0..<c {
                        var mean: Float, istd: Float
                        if isTraining {
                            // Two passes in Double: mean, then the biased variance.
                            var sum = 0.0
                            for b in 0..<n {
                                let base = (b * c + ch) * s
                                for i in base..<(base + s) { sum += Double(xp[i]) }
                            }
                            let mu = sum / Double(m)
                            var sq = 0.0
                            for b in 0..<n {
                                let base = (b * c + ch) * s
                                for i in base..<(base + s) { let dv = Double(xp[i]) - mu; sq += dv * dv }
                            }
                            let varBiased = sq / Double(m)
                            mean = Float(mu)
                            istd = Float(1 / (varBiased + Double(eps)).squareRoot())
                            let varUnbiased = sq / Double(m - 1)
                            runningMean.value.data[ch] = (1 - momentum) * runningMean.value.data[ch] + momentum * Float(mu)
                            runningVar.value.data[ch] = (1 - momentum) * runningVar.value.data[ch] + momentum * Float(varUnbiased)
                        } else {
                            mean = runningMean.value.data[ch]
                            istd = 1 / (runningVar.value.data[ch] + eps).squareRoot()
                        }
                        invStd[ch] = istd
                        let g = weight.value.data[ch], beta = bias.value.data[ch]
                        for b in 0..<n {
                            let base = (b * c + ch) * s
                            for i in base..<(base + s) {
                                let xh = (xp[i] - mean) * istd
                                hp[i] = xh
                                yp[i] = g * xh + beta
                            }
                        }
                    }
                }
            }
        }
        if isTraining { numBatchesTracked.value.data[0] += 1 }
        return out
    }

    // MARK: backward

    /// Accumulates dL/dgamma and dL/dbeta into the parameters' gradients and returns dL/dx.
    ///
    /// Training mode (the statistics depend on x), with xhat = (x - mean) * istd:
    ///     dbeta  = sum(dy),  dgamma = sum(dy * xhat)
    ///     dx = gamma * istd * (dy - mean(dy) - xhat * mean(dy * xhat))
    /// Eval mode (running statistics are constants): dx = gamma * istd * dy.
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == savedShape, "BatchNorm3d.backward: gradient shape \(dy.shape) does not match the forward input \(savedShape)")
        let (n, c, d, h, w) = dy.ncdhw
        let s = d * h * w, m = n * s
        var dx = Tensor(shape: dy.shape)
        dy.data.withUnsafeBufferPointer { gp in
            dx.data.withUnsafeMutableBufferPointer { dxp in
                xhat.withUnsafeBufferPointer { hp in
                    for ch in 0..<c {
                        var sumDy = 0.0, sumDyXhat = 0.0
                        for b in 0..<n {
                            let base = (b * c + ch) * s
                            for i in base..<(base + s) {
                                sumDy += Double(gp[i])
                                sumDyXhat += Double(gp[i]) * Double(hp[i])
                            }
                        }
                        weight.grad.data[ch] += Float(sumDyXhat)
                        bias.grad.data[ch] += Float(sumDy)
                        let g = weight.value.data[ch], istd = invStd[ch]
                        if savedTraining {
                            // Written with the means (not m * dy - sum) to avoid cancellation
                            // when m is large.
                            let k = g * istd
                            let meanDy = Float(sumDy / Double(m)), meanDyXhat = Float(sumDyXhat / Double(m))
                            for b in 0..<n {
                                let base = (b * c + ch) * s
                                for i in base..<(base + s) {
                                    dxp[i] = k * (gp[i] - meanDy - hp[i] * meanDyXhat)
                                }
                            }
                        } else {
                            let k = g * istd
                            for b in 0..<n {
                                let base = (b * c + ch) * s
                                for i in base..<(base + s) { dxp[i] = k * gp[i] }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
