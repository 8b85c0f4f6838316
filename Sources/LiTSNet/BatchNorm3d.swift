import Foundation
import LiTSCore

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

    /// When set, the layer also applies a ReLU to its output: the U-Net's conv-BN-ReLU with no
    /// dropout between them, without the ReLU's own passes over the tensor (two forward, three
    /// backward). Backward recomputes the ReLU's mask from xhat (the output is positive where
    /// gamma * xhat + beta > 0, the same float expression as forward), so nothing more is kept.
    var appliesReLU = false

    /// Workers for the layer's calls (a UNet3D hands its own context to every layer).
    public var context: NetContext

    /// Synchronised batch norm: the processes whose batches together make the batch whose
    /// statistics training mode uses (nil: this process's batch alone).
    public var group: ProcessGroup?

    // Saved by forward for backward: the normalised input, 1/sqrt(var + eps) per channel and
    // which statistics were used.
    private var xhat: [Float] = []
    private var invStd: [Float] = []
    private var savedShape: [Int] = []
    private var savedTraining = true

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, context: NetContext = .default) {
        precondition(channels > 0, "BatchNorm3d needs at least one channel")
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        self.context = context
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

    // MARK: forward

    /// y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel. Channels run in parallel.
    public func forward(_ x: Tensor) -> Tensor {
        let (n, c, d, h, w) = x.ncdhw
        precondition(c == channels, "BatchNorm3d(\(channels)) got \(c) channels")
        let s = d * h * w
        var m = n * s
        savedShape = x.shape
        savedTraining = isTraining
        if isTraining {
            precondition(m > 1, "BatchNorm3d in training mode needs more than one value per channel, got input \(x.shape)")
        }
        // Per channel: the mean and the biased variance used (training: of the batch).
        var mean = [Double](), variance = [Double]()
        if isTraining {
            // Two passes in Double: the mean, then the biased variance. With a process group
            // (synchronised batch norm) each pass's sums are added over all processes first,
            // so every rank normalises with the statistics of the whole global batch.
            var sums = channelSums(x) { p, count, _ in Sums.sum(p, count) }
            sums.append(Double(m))
            group?.sum(&sums)
            let total = sums.removeLast()
            mean = sums.map { $0 / total }
            let mu = mean
            var squares = channelSums(x) { p, count, ch in Sums.squaredDeviations(p, count, from: mu[ch]) }
            group?.sum(&squares)
            variance = squares.map { $0 / total }
            m = Int(total)
            for ch in 0..<c {
                let unbiased = variance[ch] * Double(m) / Double(m - 1)
                runningMean.value.data[ch] = (1 - momentum) * runningMean.value.data[ch] + momentum * Float(mean[ch])
                runningVar.value.data[ch] = (1 - momentum) * runningVar.value.data[ch] + momentum * Float(unbiased)
            }
            invStd = (0..<c).map { Float(1 / (variance[$0] + Double(eps)).squareRoot()) }
            numBatchesTracked.value.data[0] += 1
        } else {
            mean = runningMean.value.data.map(Double.init)
            invStd = (0..<c).map { 1 / (runningVar.value.data[$0] + eps).squareRoot() }
        }
        // xhat = (x - mean) * istd is kept for backward; y = gamma * xhat + beta (then max(y, 0)
        // with `appliesReLU`; a NaN stays NaN, as in ReLU).
        let relu = appliesReLU
        var hat = [Float](repeating: 0, count: 0)
        let y = Tensor.uninitialized(x.shape) { yp in
            hat = [Float](unsafeUninitializedCapacity: x.count) { hp, initialized in
                let hatOut = SharedPointer(hp.baseAddress!), yOut = SharedPointer(yp)
                x.data.withUnsafeBufferPointer { xp in
                    NetThreads.parallelRanges(n * c, workers: context.workers, minimumPerWorker: max(1, NetThreads.minimumElementsPerWorker / max(1, s))) { rows in
                        for row in rows {
                            let ch = row % c
                            let mu = Float(mean[ch]), istd = invStd[ch]
                            let g = weight.value.data[ch], beta = bias.value.data[ch]
                            let base = row * s
                            if relu {
                                for i in base..<(base + s) {
                                    let xh = (xp[i] - mu) * istd, v = g * xh + beta
                                    hatOut.p[i] = xh
                                    yOut.p[i] = v < 0 ? 0 : v
                                }
                            } else {
                                for i in base..<(base + s) {
                                    let xh = (xp[i] - mu) * istd
                                    hatOut.p[i] = xh
                                    yOut.p[i] = g * xh + beta
                                }
                            }
                        }
                    }
                }
                initialized = x.count
            }
        }
        xhat = hat
        return y
    }

    /// `term(pointer, count, channel)` summed over the batch for each channel (channels in parallel).
    private func channelSums(_ x: Tensor, _ term: (UnsafePointer<Float>, Int, Int) -> Double) -> [Double] {
        let (n, c, d, h, w) = x.ncdhw
        let s = d * h * w
        var out = [Double](repeating: 0, count: c)
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { buffer in
                let o = SharedPointer(buffer.baseAddress!), base = SharedPointer(UnsafeMutablePointer(mutating: xp.baseAddress!))
                NetThreads.parallelRanges(c, workers: context.workers, minimumPerWorker: max(1, NetThreads.minimumElementsPerWorker / max(1, n * s))) { channels in
                    for ch in channels {
                        var sum = 0.0
                        for b in 0..<n { sum += term(base.p + (b * c + ch) * s, s, ch) }
                        o.p[ch] = sum
                    }
                }
            }
        }
        return out
    }

    // MARK: backward

    /// Accumulates dL/dgamma and dL/dbeta into the parameters' gradients and returns dL/dx.
    ///
    /// Training mode (the statistics depend on x), with xhat = (x - mean) * istd:
    ///     dbeta  = sum(dy),  dgamma = sum(dy * xhat)
    ///     dx = gamma * istd * (dy - mean(dy) - xhat * mean(dy * xhat))
    /// Eval mode (running statistics are constants): dx = gamma * istd * dy.
    /// With `appliesReLU`, dy is first zeroed where the output was not positive (the ReLU's
    /// backward), inside the same two passes.
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == savedShape, "BatchNorm3d.backward: gradient shape \(dy.shape) does not match the forward input \(savedShape)")
        precondition(xhat.count == dy.count, "BatchNorm3d.backward called without a forward before it")
        let (n, c, d, h, w) = dy.ncdhw
        let s = d * h * w
        var m = n * s
        let relu = appliesReLU
        var sumDy = [Double](repeating: 0, count: c), sumDyXhat = [Double](repeating: 0, count: c)
        dy.data.withUnsafeBufferPointer { gp in
            xhat.withUnsafeBufferPointer { hp in
            sumDy.withUnsafeMutableBufferPointer { sumDyBuffer in
            sumDyXhat.withUnsafeMutableBufferPointer { sumDyXhatBuffer in
                let a = SharedPointer(sumDyBuffer.baseAddress!), b = SharedPointer(sumDyXhatBuffer.baseAddress!)
                NetThreads.parallelRanges(c, workers: context.workers, minimumPerWorker: max(1, NetThreads.minimumElementsPerWorker / max(1, m))) { channels in
                    for ch in channels {
                        for item in 0..<n {
                            let base = (item * c + ch) * s
                            let (sd, sdx) = relu
                                ? Sums.productSums(gp.baseAddress! + base, hp.baseAddress! + base, s,
                                                   whereAbove0: weight.value.data[ch], bias.value.data[ch])
                                : Sums.productSums(gp.baseAddress! + base, hp.baseAddress! + base, s)
                            a.p[ch] += sd
                            b.p[ch] += sdx
                        }
                    }
                }
            } } }
        }
        for ch in 0..<c {
            weight.grad.data[ch] += Float(sumDyXhat[ch])
            bias.grad.data[ch] += Float(sumDy[ch])
        }
        let training = savedTraining
        // Synchronised: dx needs the means over the global batch (the parameter gradients above
        // stay this rank's share; the trainer adds those over ranks with every other gradient).
        if training, let group {
            var sums = sumDy + sumDyXhat + [Double(m)]
            group.sum(&sums)
            sumDy = Array(sums[0..<c])
            sumDyXhat = Array(sums[c..<(2 * c)])
            m = Int(sums[2 * c])
        }
        defer { xhat = [] }
        let (meanDyAll, meanDyXhatAll) = (sumDy.map { $0 / Double(m) }, sumDyXhat.map { $0 / Double(m) })
        return Tensor.uninitialized(dy.shape) { dxp in
            let out = SharedPointer(dxp)
            dy.data.withUnsafeBufferPointer { gp in
                xhat.withUnsafeBufferPointer { hp in
                    NetThreads.parallelRanges(n * c, workers: context.workers, minimumPerWorker: max(1, NetThreads.minimumElementsPerWorker / max(1, s))) { rows in
                        for row in rows {
                            let ch = row % c, base = row * s
                            let g = weight.value.data[ch], beta = bias.value.data[ch], k = g * invStd[ch]
                            // Training: written with the means (not m * dy - sum) to avoid
                            // cancellation when m is large. Eval: the statistics are constants.
                            let meanDy = training ? Float(meanDyAll[ch]) : 0
                            let meanDyXhat = training ? Float(meanDyXhatAll[ch]) : 0
                            if relu {
                                for i in base..<(base + s) {
                                    let gi = gp[i], xh = hp[i]
                                    let dz = g * xh + beta > 0 ? gi : 0
                                    out.p[i] = k * (dz - meanDy - xh * meanDyXhat)
                                }
                            } else if training {
                                for i in base..<(base + s) { out.p[i] = k * (gp[i] - meanDy - hp[i] * meanDyXhat) }
                            } else {
                                for i in base..<(base + s) { out.p[i] = k * gp[i] }
                            }
                        }
                    }
                }
            }
        }
    }
}
