import Foundation
import LiTSCore

// The 3D U-Net: its config (UNetConfig, saved beside checkpoints), the conv-BN-ReLU block, and
// the network that chains the layers forward and backward. The model's NetContext (workers,
// convolution path) is handed to every layer and follows any change.

/// The model's shape, saved as JSON beside every checkpoint.
public struct UNetConfig: Codable, Equatable, Sendable {
    public var inChannels = 1
    /// Output channels, each with its own sigmoid: liver and lesion, as the baseline predicts them.
    public var outChannels = 2
    /// Filters per level, top to bottom; the last is the bottleneck. The baseline used
    /// [64, 128, 256, 256]; the CPU-sized default is [16, 32, 64, 128].
    public var filters = [16, 32, 64, 128]
    /// Spatial dropout probability after each batch norm (0: none).
    public var dropout: Float = 0
    /// A 1x1x1 convolution from each block's input added before its last ReLU.
    public var residual = false
    /// The normalisation after each convolution.
    public var norm = Normalization.batch
    public var seed: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey { case inChannels, outChannels, filters, dropout, residual, norm, seed }

    /// Configs written before `norm` existed read as batch norm.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inChannels = try c.decode(Int.self, forKey: .inChannels)
        outChannels = try c.decode(Int.self, forKey: .outChannels)
        filters = try c.decode([Int].self, forKey: .filters)
        dropout = try c.decode(Float.self, forKey: .dropout)
        residual = try c.decode(Bool.self, forKey: .residual)
        norm = try c.decodeIfPresent(Normalization.self, forKey: .norm) ?? .batch
        seed = try c.decode(UInt64.self, forKey: .seed)
    }

    public static let baseline: UNetConfig = {
        var c = UNetConfig()
        c.filters = [64, 128, 256, 256]
        return c
    }()

    /// Every input side must divide by this (one halving per pooling).
    public var sideDivisor: Int { 1 << (filters.count - 1) }

    /// A readable reason when an input shape (N, C, D, H, W) does not fit, or nil.
    /// A reason when the configuration itself cannot build a model (it may come from a hand-edited
    /// file), or nil.
    public var configurationProblem: String? {
        if inChannels < 1 || outChannels < 1 { return "channels must be at least 1" }
        if filters.count < 2 || filters.count > 8 { return "filters must list 2 to 8 levels, got \(filters)" }
        if filters.contains(where: { $0 < 1 || $0 > 4096 }) { return "filters must be in 1...4096, got \(filters)" }
        if !(dropout >= 0 && dropout < 1) { return "dropout must be in [0, 1), got \(dropout)" }
        return nil
    }

    /// Bytes a training step of `batch` patches of `voxels` each needs, estimated from the
    /// activations (each level's channels at its resolution, about 12 copies of them live through
    /// forward and backward: measured 5.7 GB for 12 x 16x168x168 with filters 16-128).
    public func trainingBytes(batch: Int, voxels: Int) -> Double {
        let perVoxel = filters.enumerated().reduce(0.0) { $0 + Double($1.element) / pow(8, Double($1.offset)) }
        return 12 * 4 * Double(batch) * Double(voxels) * perVoxel
    }

    public func problem(withInput shape: [Int]) -> String? {
        if let configurationProblem { return configurationProblem }
        guard shape.count == 5 else { return "input must be 5D (N, C, D, H, W), got \(shape)" }
        guard shape[1] == inChannels else { return "input has \(shape[1]) channels, the model expects \(inChannels)" }
        let bad = shape[2...].filter { $0 % sideDivisor != 0 || $0 == 0 }
        if !bad.isEmpty {
            // Named W x H x D (NIfTI's order, as every option and message), the reverse of (D, H, W).
            return "input sides \(shape[2...].reversed().map(String.init).joined(separator: "x")) (W x H x D) must all divide by \(sideDivisor) (2^\(filters.count - 1) for \(filters.count - 1) poolings)"
        }
        return nil
    }
}

/// The normalisation after each convolution (`lits train --norm`, saved in the model config).
public enum Normalization: String, Codable, CaseIterable, Sendable {
    /// BatchNorm3d with this process's batch statistics (the baseline).
    case batch
    /// BatchNorm3d whose training statistics are added over every process of a data-parallel
    /// run (one process: the same as `batch`; eval uses the running statistics either way).
    case syncBatch = "sync-batch"
    /// InstanceNorm3d (nnU-Net's default): per-sample statistics, exact under data parallelism.
    case instance
}

/// A normalisation layer of a ConvBlock.
protocol NormLayer: Module {
    var context: NetContext { get set }
    func forward(_ x: Tensor) -> Tensor
    func backward(_ dy: Tensor) -> Tensor
}

extension BatchNorm3d: NormLayer {}
extension InstanceNorm3d: NormLayer {}

/// conv-norm-(dropout)-ReLU twice. The baseline's Keras code fed the block's input, not the first
/// convolution's output, into the second convolution; this is the intended sequential block.
/// The normalisation layers keep the names "bn1" and "bn2" whichever kind they are.
final class ConvBlock: Module {
    let conv1: Conv3d, bn1: NormLayer, drop1: SpatialDropout3d?, relu1: ReLU
    let conv2: Conv3d, bn2: NormLayer, drop2: SpatialDropout3d?, relu2: ReLU
    let res: Conv3d?
    /// Whether each batch norm applies the following ReLU itself (instance norm never does).
    let fused1: Bool, fused2: Bool

    /// Handed to every layer of the block.
    var context: NetContext {
        didSet {
            for c in [conv1, conv2] + (res.map { [$0] } ?? []) { c.context = context }
            bn1.context = context
            bn2.context = context
            relu1.context = context
            relu2.context = context
        }
    }

    init(_ cin: Int, _ cout: Int, dropout: Float, residual: Bool, norm: Normalization = .batch, context: NetContext,
         rng: inout SeededGenerator) {
        self.context = context
        func makeNorm() -> NormLayer {
            norm == .instance ? InstanceNorm3d(cout, context: context) : BatchNorm3d(cout, context: context)
        }
        conv1 = Conv3d(cin, cout, kernelSize: 3, context: context, using: &rng)
        bn1 = makeNorm()
        relu1 = ReLU(context: context)
        conv2 = Conv3d(cout, cout, kernelSize: 3, context: context, using: &rng)
        bn2 = makeNorm()
        relu2 = ReLU(context: context)
        drop1 = dropout > 0 ? SpatialDropout3d(p: dropout, seed: rng.next()) : nil
        drop2 = dropout > 0 ? SpatialDropout3d(p: dropout, seed: rng.next()) : nil
        res = residual ? Conv3d(cin, cout, kernelSize: 1, context: context, using: &rng) : nil
        // A ReLU right after a batch norm runs inside it (no dropout or residual add between).
        let batch1 = bn1 as? BatchNorm3d, batch2 = bn2 as? BatchNorm3d
        batch1?.appliesReLU = drop1 == nil
        batch2?.appliesReLU = drop2 == nil && res == nil
        fused1 = batch1?.appliesReLU ?? false
        fused2 = batch2?.appliesReLU ?? false
    }

    /// The batch norms of the block (none with instance norm).
    var batchNorms: [BatchNorm3d] { [bn1, bn2].compactMap { $0 as? BatchNorm3d } }

    var namedParameters: [(String, Parameter)] {
        var p = Self.prefixed("conv1", conv1.namedParameters) + Self.prefixed("bn1", bn1.namedParameters)
            + Self.prefixed("conv2", conv2.namedParameters) + Self.prefixed("bn2", bn2.namedParameters)
        if let res { p += Self.prefixed("res", res.namedParameters) }
        return p
    }

    var namedBuffers: [(String, Buffer)] {
        Self.prefixed("bn1", bn1.namedBuffers) + Self.prefixed("bn2", bn2.namedBuffers)
    }

    func setTraining(_ training: Bool) {
        for m in [bn1, bn2] as [Module] { m.setTraining(training) }
        drop1?.setTraining(training)
        drop2?.setTraining(training)
    }

    func forward(_ x: Tensor) -> Tensor {
        // Eval mode: each batch norm folded into its convolution, the ReLU applied as it writes.
        if let b1 = bn1 as? BatchNorm3d, let b2 = bn2 as? BatchNorm3d, let h1 = conv1.forwardFolding(b1, relu: true, x) {
            if let res, let h2 = conv2.forwardFolding(b2, relu: false, h1) {
                return relu2.forward(residualAdd(h2, res.forward(x)))
            }
            if res == nil, let h2 = conv2.forwardFolding(b2, relu: true, h1) { return h2 }
        }
        var h = bn1.forward(conv1.forward(x))
        if let drop1 { h = drop1.forward(h) }
        if !fused1 { h = relu1.forward(h) }
        h = bn2.forward(conv2.forward(h))
        if let drop2 { h = drop2.forward(h) }
        if let res { h = residualAdd(h, res.forward(x)) }
        return fused2 ? h : relu2.forward(h)
    }

    /// The first block of the network reads the image, whose gradient nobody needs: skipping it
    /// saves the slowest GEMM of the first convolution. `backward` then returns an empty tensor.
    var skipsInputGradient = false {
        didSet {
            conv1.computesInputGradient = !skipsInputGradient
            res?.computesInputGradient = !skipsInputGradient
        }
    }

    func backward(_ dy: Tensor) -> Tensor {
        var d = fused2 ? dy : relu2.backward(dy)
        var dxRes: Tensor?
        if let res { dxRes = res.backward(d) }
        if let drop2 { d = drop2.backward(d) }
        d = conv2.backward(bn2.backward(d))
        if !fused1 { d = relu1.backward(d) }
        if let drop1 { d = drop1.backward(d) }
        var dx = conv1.backward(bn1.backward(d))
        if let dxRes, !skipsInputGradient { dx += dxRes }
        return dx
    }
}

/// The baseline's 3D U-Net: per level a ConvBlock, max pooling down, transposed convolution up,
/// skip connections concatenated (upsampled first, then skip), a 1x1x1 head and a sigmoid per
/// output channel. Parameter names match `scripts/unet_torch.py`'s PyTorch module
/// (`enc.0.conv1.weight`, `bottleneck.bn2.running_mean`, `up.1.weight`, `dec.0.conv2.bias`,
/// `head.weight`), so checkpoints load in PyTorch.
public final class UNet3D: Module {
    public let config: UNetConfig
    let enc: [ConvBlock]
    let pools: [MaxPool3d]
    let bottleneck: ConvBlock
    let ups: [ConvTranspose3d]
    let dec: [ConvBlock]
    let head: Conv3d
    let sigmoid = Sigmoid()

    /// Workers and convolution path of every layer; setting it hands the new value to all of them.
    public var context: NetContext {
        didSet {
            for b in enc + [bottleneck] + dec { b.context = context }
            for p in pools { p.context = context }
            for u in ups { u.context = context }
            head.context = context
        }
    }

    public init(_ config: UNetConfig, context: NetContext = .default) {
        precondition(config.filters.count >= 2, "a U-Net needs at least two levels")
        self.config = config
        self.context = context
        var rng = SeededGenerator(seed: config.seed)
        let f = config.filters
        let levels = f.count - 1
        var e: [ConvBlock] = []
        for i in 0..<levels {
            e.append(ConvBlock(i == 0 ? config.inChannels : f[i - 1], f[i], dropout: config.dropout, residual: config.residual, norm: config.norm,
                                context: context, rng: &rng))
        }
        enc = e
        pools = (0..<levels).map { _ in MaxPool3d(context: context) }
        bottleneck = ConvBlock(f[levels - 1], f[levels], dropout: config.dropout, residual: config.residual, norm: config.norm,
                                context: context, rng: &rng)
        var u: [ConvTranspose3d] = [], d: [ConvBlock] = []
        for i in 0..<levels {
            u.append(ConvTranspose3d(f[i + 1], f[i], context: context, using: &rng))
            d.append(ConvBlock(2 * f[i], f[i], dropout: config.dropout, residual: config.residual, norm: config.norm,
                                context: context, rng: &rng))
        }
        ups = u
        dec = d
        head = Conv3d(f[0], config.outChannels, kernelSize: 1, context: context, using: &rng)
        enc[0].skipsInputGradient = true
    }

    public var namedParameters: [(String, Parameter)] {
        var p: [(String, Parameter)] = []
        for (i, b) in enc.enumerated() { p += Self.prefixed("enc.\(i)", b.namedParameters) }
        p += Self.prefixed("bottleneck", bottleneck.namedParameters)
        for (i, u) in ups.enumerated() { p += Self.prefixed("up.\(i)", u.namedParameters) }
        for (i, b) in dec.enumerated() { p += Self.prefixed("dec.\(i)", b.namedParameters) }
        return p + Self.prefixed("head", head.namedParameters)
    }

    public var namedBuffers: [(String, Buffer)] {
        var b: [(String, Buffer)] = []
        for (i, m) in enc.enumerated() { b += Self.prefixed("enc.\(i)", m.namedBuffers) }
        b += Self.prefixed("bottleneck", bottleneck.namedBuffers)
        for (i, m) in dec.enumerated() { b += Self.prefixed("dec.\(i)", m.namedBuffers) }
        return b
    }

    public func setTraining(_ training: Bool) {
        for b in enc + [bottleneck] + dec { b.setTraining(training) }
    }

    /// Synchronised batch norm: every batch norm's training statistics are added over `group`
    /// (only with `norm: .syncBatch`; nil turns it off).
    public func synchroniseBatchNorm(over group: ProcessGroup?) {
        guard config.norm == .syncBatch else { return }
        for b in enc + [bottleneck] + dec { for bn in b.batchNorms { bn.group = group } }
    }

    /// Probabilities (N, outChannels, D, H, W). The input must satisfy `config.problem(withInput:)`.
    public func forward(_ x: Tensor) -> Tensor {
        if let problem = config.problem(withInput: x.shape) { preconditionFailure(problem) }
        var skips: [Tensor] = []
        var h = x
        for i in 0..<enc.count {
            h = enc[i].forward(h)
            skips.append(h)
            h = pools[i].forward(h)
        }
        h = bottleneck.forward(h)
        for i in (0..<dec.count).reversed() {
            h = dec[i].forward(concatChannels(ups[i].forward(h), skips[i]))
        }
        return sigmoid.forward(head.forward(h))
    }

    /// Accumulates every parameter's gradient from dL/d(probabilities). The gradient with respect
    /// to the input image is not computed (nothing upstream needs it); an empty tensor is returned.
    @discardableResult
    public func backward(_ dProbabilities: Tensor) -> Tensor {
        var d = head.backward(sigmoid.backward(dProbabilities))
        var dSkips = [Tensor?](repeating: nil, count: enc.count)
        for i in 0..<dec.count {
            let (dUp, dSkip) = concatChannelsBackward(dec[i].backward(d), channelsA: config.filters[i])
            dSkips[i] = dSkip
            d = ups[i].backward(dUp)
        }
        d = bottleneck.backward(d)
        for i in (0..<enc.count).reversed() {
            d = pools[i].backward(d)
            d += dSkips[i]!
            d = enc[i].backward(d)  // enc[0] returns an empty tensor (no input gradient)
        }
        return d
    }
}
