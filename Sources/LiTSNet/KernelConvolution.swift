import Foundation

/// The number format kernel-3 convolutions multiply in (`--precision`; saved in a run's config.json).
/// Outputs and gradients are fp32 whatever it is; `.bf16` rounds the inputs, weights and output
/// gradients it reads to bf16; `.int8` (inference only: no backward) quantizes inputs to u8 per
/// input channel and weights to s8 per output channel, with exact int32 sums (DirectConv3dInt8;
/// Conv3d keeps layers of fewer than 4 input channels in fp32).
public enum ConvolutionPrecision: String, Codable, Sendable, CaseIterable {
    case fp32, bf16, int8

    /// Whether training (a backward pass) can run in this precision: not in int8.
    public var trains: Bool { self != .int8 }
}

/// The kernel-3 direct convolution at a chosen precision, outside a layer: what `lits bench conv`
/// times to compare the fp32 kernels (DirectConv3d, the best set the CPU runs) with the bf16 ones
/// (DirectConv3dBF16) and the int8 ones (DirectConv3dInt8, forward only).
/// Conv3d picks one by its NetContext's `precision`.
public enum KernelConvolution {
    /// Whether this CPU runs `precision` (fp32: AVX-512, or AVX2 + FMA; bf16: AVX-512 and AVX512_BF16;
    /// int8: AVX512_VNNI or AVX-VNNI, DirectConv3dInt8.Kernels).
    public static func isSupported(_ precision: ConvolutionPrecision) -> Bool {
        switch precision {
        case .fp32: DirectKernels.best != nil
        case .bf16: DirectConv3dBF16.cpuHasAVX512BF16
        case .int8: DirectConv3dInt8.kernels != nil
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
        case .int8: return DirectConv3dInt8.forward(x, weight: weight, bias: bias, outChannels: cout, workers: workers)
        }
    }

    /// The gradients for an output gradient dy: dx (nil unless `inputGradient`), dW (Cout, Cin, 27)
    /// and dbias. Not for int8 (inference only).
    public static func backward(x: Tensor, dy: Tensor, weight: Tensor, inputGradient: Bool,
                                precision: ConvolutionPrecision, workers: Int) -> (dx: Tensor?, weight: [Float], bias: [Float]) {
        precondition(precision.trains, "the \(precision.rawValue) convolution is for inference only: it has no backward")
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
        case .int8: preconditionFailure("unreachable: int8 has no backward")
        }
        return (dx, dW, db)
    }
}
