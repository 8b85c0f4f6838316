import Foundation

/// The number format a kernel-3 direct convolution multiplies in. Sums, outputs and gradients
/// are fp32 either way; `.bf16` rounds the inputs, weights and output gradients it reads to bf16.
/// The number format kernel-3 convolutions multiply in (`--precision`; saved in a run's config.json).
public enum ConvolutionPrecision: String, Codable, Sendable, CaseIterable {
    case fp32, bf16
}

/// The kernel-3 direct convolution at a chosen precision, outside a layer: what `lits bench conv`
/// times to compare the fp32 kernels (DirectConv3d, the best set the CPU runs) with the bf16 ones
/// (DirectConv3dBF16).
/// Conv3d picks one by its NetContext's `precision`.
public enum KernelConvolution {
    /// Whether this CPU runs `precision` (fp32: AVX-512, or AVX2 + FMA; bf16: AVX-512 and AVX512_BF16).
    public static func isSupported(_ precision: ConvolutionPrecision) -> Bool {
        switch precision {
        case .fp32: DirectKernels.best != nil
        case .bf16: DirectConv3dBF16.cpuHasAVX512BF16
        }
    }

    /// y = conv(x, weight) + bias for x (N, Cin, D, H, W) and weight (Cout, Cin, 3, 3, 3).
    public static func forward(_ x: Tensor, weight: Tensor, bias: [Float], precision: ConvolutionPrecision,
                               workers: Int) -> Tensor {
        precondition(isSupported(precision), "this CPU cannot run the \(precision.rawValue) direct convolution")
        let cout = weight.shape[0]
        switch precision {
        case .fp32: return DirectConv3d.forward(x, weight: weight, bias: bias, outChannels: cout, kernels: DirectKernels.best!,
                                                workers: workers)
        case .bf16: return DirectConv3dBF16.forward(x, weight: weight, bias: bias, outChannels: cout, workers: workers)
        }
    }

    /// The gradients for an output gradient dy: dx (nil unless `inputGradient`), dW (Cout, Cin, 27)
    /// and dbias.
    public static func backward(x: Tensor, dy: Tensor, weight: Tensor, inputGradient: Bool,
                                precision: ConvolutionPrecision, workers: Int) -> (dx: Tensor?, weight: [Float], bias: [Float]) {
        precondition(isSupported(precision), "this CPU cannot run the \(precision.rawValue) direct convolution")
        var dW = [Float](repeating: 0, count: weight.count), db = [Float](repeating: 0, count: dy.shape[1])
        let dx: Tensor?
        switch precision {
        case .fp32:
            dx = DirectConv3d.backward(x: x, dy: dy, weight: weight, inputGradient: inputGradient,
                                       weightGrad: &dW, biasGrad: &db, kernels: DirectKernels.best!, workers: workers)
        case .bf16:
            dx = DirectConv3dBF16.backward(x: x, dy: dy, weight: weight, inputGradient: inputGradient,
                                           weightGrad: &dW, biasGrad: &db, workers: workers)
        }
        return (dx, dW, db)
    }
}
