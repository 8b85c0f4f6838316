import Foundation
import LiTSCore

/// Channel dropout for (N, C, D, H, W) inputs, as PyTorch's `nn.Dropout3d(p)`: in training mode
/// each whole channel of each sample is zeroed with probability `p` and the kept channels are
/// scaled by 1 / (1 - p) (with p = 1 everything is zeroed); in eval mode it is the identity.
///
/// The masks come from the layer's own `SeededGenerator`: the same seed gives the same
/// sequence of masks. One uniform draw per (n, c) in row-major order; the channel is dropped
/// when the draw is < p. Backward multiplies by the mask of the last forward.
public final class SpatialDropout3d: Module {
    public let p: Float
    public private(set) var isTraining = true
    private var rng: SeededGenerator
    /// Per (n, c) multiplier of the last training-mode forward (0 or 1 / (1 - p)); empty when
    /// the last forward was the identity.
    public private(set) var mask: [Float] = []
    private var savedShape: [Int] = []

    public init(p: Float, seed: UInt64) {
        precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
        self.p = p
        rng = SeededGenerator(seed: seed)
    }

    public var namedParameters: [(String, Parameter)] { [] }
    public func setTraining(_ training: Bool) { isTraining = training }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, c, d, h, w) = x.ncdhw
        savedShape = x.shape
        guard isTraining, p > 0 else { mask = []; return x }
        let s = d * h * w
        let scale: Float = p < 1 ? 1 / (1 - p) : 0
        mask = (0..<(n * c)).map { _ in Double.random(in: 0..<1, using: &rng) < Double(p) ? 0 : scale }
        return apply(mask, to: x, spatial: s)
    }

    /// dL/dx = dL/dy * mask (the same mask as the forward).
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == savedShape, "SpatialDropout3d.backward: gradient shape \(dy.shape) does not match the forward input \(savedShape)")
        guard !mask.isEmpty else { return dy }
        let (_, _, d, h, w) = dy.ncdhw
        return apply(mask, to: dy, spatial: d * h * w)
    }

    private func apply(_ mask: [Float], to x: Tensor, spatial s: Int) -> Tensor {
        var out = x
        out.data.withUnsafeMutableBufferPointer { yp in
            for (nc, k) in mask.enumerated() where k != 1 {
                let base = nc * s
                for i in base..<(base + s) { yp[i] *= k }
            }
        }
        return out
    }
}
