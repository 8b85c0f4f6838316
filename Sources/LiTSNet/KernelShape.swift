import Foundation
import LiTSConvKernels
import LiTSConvKernelsAVX2

// How the fp32 direct convolution cuts its work on one CPU: which register block the kernels
// hold, and how many padded positions one work unit (a band of rows of one plane) covers.
// KernelShapeTuner.swift picks one per CPU by measurement; `builtIn` is the shape the kernels had
// before there was a choice (LITSKIT_KERNEL_SHAPES=fixed).
//
// Reproducibility: every forward blocking sums each output voxel in the same order (input
// channels, then the 27 taps, from zero, one fused multiply-add each) and a band only decides
// which voxels a work unit computes, so forward outputs and input gradients are bit-identical
// across forward blockings and band sizes (KernelShapeTests checks it). The weight gradient's
// blockings are bit-identical too, but its partition into bands sets its float sum order, so
// that partition does NOT follow the tuned shape: it is always `weightGradientBandPositions`.
// A training run is therefore bit-exact on --resume and reproducible on any machine of the same
// kernel set and worker count, whatever the tuner chose or the cache holds.

/// One choice of kernel shapes for one kernel set.
public struct KernelShape: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The forward (and input-gradient) register block.
    public enum ForwardBlocking: String, Codable, Sendable, CaseIterable {
        /// AVX-512: 4 output channels x 96 positions; AVX2: 4 x 24.
        case outputs4
        /// AVX-512: 8 output channels x 48 positions; AVX2: 8 x 8.
        case outputs8
    }

    /// The weight-gradient register block.
    public enum GradientBlocking: String, Codable, Sendable, CaseIterable {
        /// AVX-512: 4 output channels x 6 taps; AVX2: 2 x 6.
        case taps6
        /// AVX-512: 8 output channels x 3 taps; AVX2: 4 x 3.
        case taps3
    }

    /// "avx512" or "avx2": the kernel set these shapes are for.
    public var kernelSet: String
    public var forward: ForwardBlocking
    public var gradient: GradientBlocking
    /// Padded positions per forward / input-gradient work unit (a band of rows of one plane).
    public var bandPositions: Int

    /// Padded positions per weight-gradient work unit: fixed, whatever the shape (see the top of
    /// this file); benchmarks/constants.md says how 4096 was chosen.
    public static let weightGradientBandPositions = 4096

    /// The band sizes the tuner tries.
    public static let bandCandidates = [2048, 4096, 8192, 16384]

    public init(kernelSet: String, forward: ForwardBlocking, gradient: GradientBlocking, bandPositions: Int) {
        (self.kernelSet, self.forward, self.gradient, self.bandPositions) = (kernelSet, forward, gradient, bandPositions)
    }

    init(_ kernels: DirectKernels, forward: ForwardBlocking, gradient: GradientBlocking, bandPositions: Int) {
        self.init(kernelSet: kernels.name, forward: forward, gradient: gradient, bandPositions: bandPositions)
    }

    /// The shape the kernels had before the tuner: 4-output blocks, bands of 4096 positions.
    static func builtIn(_ kernels: DirectKernels) -> KernelShape {
        KernelShape(kernels, forward: .outputs4, gradient: .taps6, bandPositions: 4096)
    }

    /// The kernel set, or nil for a name this build does not know (an old or foreign cache).
    var kernels: DirectKernels? { DirectKernels(name: kernelSet) }

    /// Whether this build can run the shape (a known set, a sane band).
    var isValid: Bool { kernels != nil && bandPositions >= 64 && bandPositions <= 1 << 20 }

    /// Padded positions per forward kernel chunk.
    var forwardChunk: Int {
        switch (kernels ?? .avx512, forward) {
        case (.avx512, .outputs4): DirectConvolution.chunk
        case (.avx512, .outputs8): DirectConvolution.wideChunk
        case (.avx2, .outputs4): DirectConvolutionAVX2.chunk
        case (.avx2, .outputs8): DirectConvolutionAVX2.wideChunk
        }
    }

    /// Output channels the forward pads up to a multiple of.
    var forwardOutputMultiple: Int { forward == .outputs8 ? 8 : 4 }

    /// Output channels the weight gradient pads dy up to a multiple of.
    var gradientOutputMultiple: Int { gradient == .taps3 && kernels == .avx512 ? 8 : 4 }

    public var description: String {
        "\(kernelSet) forward=\(forward.rawValue) gradient=\(gradient.rawValue) band=\(bandPositions)"
    }
}

extension DirectKernels {
    /// The set's name in a KernelShape and the tuner's cache.
    var name: String {
        switch self {
        case .avx512: "avx512"
        case .avx2: "avx2"
        }
    }

    init?(name: String) {
        switch name {
        case "avx512": self = .avx512
        case "avx2": self = .avx2
        default: return nil
        }
    }
}
