import Foundation

/// A trainable tensor and its gradient. Layers own their parameters; optimizers update them in
/// place, so it is a class.
public final class Parameter: @unchecked Sendable {
    public var value: Tensor
    public var grad: Tensor

    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor(shape: value.shape)
    }

    public func zeroGrad() { grad.fill(0) }
}

/// A non-trainable state tensor saved with the model (batch norm running statistics).
public final class Buffer: @unchecked Sendable {
    public var value: Tensor
    public init(_ value: Tensor) { self.value = value }
}

/// Something with parameters, named like a PyTorch state dict ("enc.0.conv1.weight"), so a
/// checkpoint written here loads into the equivalent PyTorch module.
/// Layers keep what `forward` saved for `backward` (inputs, outputs, batch norm's normalised
/// input, max pooling's positions) only until `backward` has used it, as PyTorch's autograd
/// frees saved tensors: during the backward pass the deeper levels' activations are released
/// while the larger top-level gradients are being made. So each `backward` needs a `forward`
/// before it.
public protocol Module: AnyObject {
    /// Parameters with their names relative to this module.
    var namedParameters: [(String, Parameter)] { get }
    /// Buffers (running statistics) with their names relative to this module.
    var namedBuffers: [(String, Buffer)] { get }
    /// Training mode: batch norm uses batch statistics and updates running ones, dropout drops.
    func setTraining(_ training: Bool)
}

extension Module {
    public var namedBuffers: [(String, Buffer)] { [] }
    public func setTraining(_ training: Bool) {}

    public var parameters: [Parameter] { namedParameters.map(\.1) }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Names of a child module's entries under `prefix`.
    public static func prefixed<T>(_ prefix: String, _ entries: [(String, T)]) -> [(String, T)] {
        entries.map { ("\(prefix).\($0.0)", $0.1) }
    }
}
