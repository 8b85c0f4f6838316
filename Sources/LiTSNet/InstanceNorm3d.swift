import Foundation

/// Instance normalisation over (D, H, W) for each sample and channel, as PyTorch's
/// `nn.InstanceNorm3d(C, eps=1e-5, affine=True)` (nnU-Net's choice; `track_running_stats` off,
/// so training and eval both use the statistics of the sample itself):
///
///     y = gamma_c * (x - mean_nc) / sqrt(var_nc + eps) + beta_c     (biased var over D*H*W)
///
/// No statistic crosses samples, so a batch split over processes gives the same outputs and
/// gradients as the whole batch in one process. The state dict holds "weight" and "bias".
public final class InstanceNorm3d: Module {
    public let channels: Int
    public let eps: Float
    public let weight: Parameter
    public let bias: Parameter
    public var context: NetContext

    // Saved by forward for backward: the normalised input and 1/sqrt(var + eps) per (n, c).
    private var xhat: [Float] = []
    private var invStd: [Float] = []
    private var savedShape: [Int] = []

    public init(_ channels: Int, eps: Float = 1e-5, context: NetContext = .default) {
        precondition(channels > 0, "InstanceNorm3d needs at least one channel")
        self.channels = channels
        self.eps = eps
        self.context = context
        weight = Parameter(Tensor(shape: [channels], repeating: 1))
        bias = Parameter(Tensor(shape: [channels], repeating: 0))
    }

    public var namedParameters: [(String, Parameter)] { [("weight", weight), ("bias", bias)] }

    /// Rows (n, c) in parallel; mean and variance in Double, two passes, as BatchNorm3d.
    public func forward(_ x: Tensor) -> Tensor {
        let (n, c, d, h, w) = x.ncdhw
        precondition(c == channels, "InstanceNorm3d(\(channels)) got \(c) channels")
        let s = d * h * w
        precondition(s > 1, "InstanceNorm3d needs more than one voxel per channel, got input \(x.shape)")
        savedShape = x.shape
        var istd = [Float](repeating: 0, count: n * c)
        var hat = [Float](repeating: 0, count: x.count)
        var y = Tensor(shape: x.shape)
        x.data.withUnsafeBufferPointer { xp in
        hat.withUnsafeMutableBufferPointer { hp in
        y.data.withUnsafeMutableBufferPointer { yp in
        istd.withUnsafeMutableBufferPointer { ip in
            let hatOut = SharedPointer(hp.baseAddress!), yOut = SharedPointer(yp.baseAddress!), iOut = SharedPointer(ip.baseAddress!)
            NetThreads.parallelRanges(n * c, workers: context.workers, minimumPerWorker: max(1, NetThreads.minimumElementsPerWorker / s)) { rows in
                for row in rows {
                    let ch = row % c, base = row * s
                    let mu = Sums.sum(xp.baseAddress! + base, s) / Double(s)
                    let variance = Sums.squaredDeviations(xp.baseAddress! + base, s, from: mu) / Double(s)
                    let k = Float(1 / (variance + Double(eps)).squareRoot()), m = Float(mu)
                    let g = weight.value.data[ch], b = bias.value.data[ch]
                    iOut.p[row] = k
                    for i in base..<(base + s) {
                        let xh = (xp[i] - m) * k
                        hatOut.p[i] = xh
                        yOut.p[i] = g * xh + b
                    }
                }
            }
        } } } }
        xhat = hat
        invStd = istd
        return y
    }

    /// Accumulates dL/dgamma and dL/dbeta and returns dL/dx; per row (n, c), with s = D*H*W:
    ///     dx = gamma * istd * (dy - mean(dy) - xhat * mean(dy * xhat))
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == savedShape, "InstanceNorm3d.backward: gradient shape \(dy.shape) does not match the forward input \(savedShape)")
        precondition(xhat.count == dy.count, "InstanceNorm3d.backward called without a forward before it")
        let (n, c, d, h, w) = dy.ncdhw
        let s = d * h * w
        var rowDy = [Double](repeating: 0, count: n * c), rowDyXhat = [Double](repeating: 0, count: n * c)
        var dx = Tensor(shape: dy.shape)
        dy.data.withUnsafeBufferPointer { gp in
        xhat.withUnsafeBufferPointer { hp in
        dx.data.withUnsafeMutableBufferPointer { dp in
        rowDy.withUnsafeMutableBufferPointer { a in
        rowDyXhat.withUnsafeMutableBufferPointer { b in
            let out = SharedPointer(dp.baseAddress!), aOut = SharedPointer(a.baseAddress!), bOut = SharedPointer(b.baseAddress!)
            NetThreads.parallelRanges(n * c, workers: context.workers, minimumPerWorker: max(1, NetThreads.minimumElementsPerWorker / s)) { rows in
                for row in rows {
                    let ch = row % c, base = row * s
                    let (sd, sdx) = Sums.productSums(gp.baseAddress! + base, hp.baseAddress! + base, s)
                    aOut.p[row] = sd
                    bOut.p[row] = sdx
                    let k = weight.value.data[ch] * invStd[row]
                    let meanDy = Float(sd / Double(s)), meanDyXhat = Float(sdx / Double(s))
                    for i in base..<(base + s) { out.p[i] = k * (gp[i] - meanDy - hp[i] * meanDyXhat) }
                }
            }
        } } } } }
        for ch in 0..<c {
            var sd = 0.0, sdx = 0.0
            for item in 0..<n { sd += rowDy[item * c + ch]; sdx += rowDyXhat[item * c + ch] }
            weight.grad.data[ch] += Float(sdx)
            bias.grad.data[ch] += Float(sd)
        }
        xhat = []
        return dx
    }
}
