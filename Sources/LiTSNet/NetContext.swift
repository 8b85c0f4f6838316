import Foundation

// How the engine uses this CPU, as a value: how many worker threads a layer call splits its work
// over, and which kernel-3 convolution runs. A UNet3D holds one and hands it to its layers; there
// is no global switch. `.default` is what a model gets when nobody chooses.

/// Which implementation runs a kernel-3 Conv3d.
public enum ConvolutionPath: String, Sendable, Equatable {
    /// DirectConv3d.swift: AVX-512 kernels, no im2col.
    case direct = "direct-avx512"
    /// im2col + single-threaded OpenBLAS GEMMs (Conv3d.swift), everywhere; the reference the
    /// direct path is tested against.
    case im2col = "im2col-openblas"
}

public struct NetContext: Sendable, Equatable {
    /// Swift worker threads per layer call (the CLI's `--threads`), each calling a
    /// single-threaded OpenBLAS, so the cores are not oversubscribed. At least 1.
    public var workers: Int {
        didSet { workers = max(1, workers) }
    }

    /// The kernel-3 convolution. `.direct` is only kept where the CPU has AVX-512: elsewhere
    /// the kernels would stop with an illegal instruction, so it becomes `.im2col`.
    public var convolution: ConvolutionPath {
        didSet { if convolution == .direct && !DirectConv3d.cpuHasAVX512 { convolution = .im2col } }
    }

    public init(workers: Int = NetContext.defaultWorkers, convolution: ConvolutionPath = NetContext.defaultConvolution) {
        self.workers = max(1, workers)
        self.convolution = convolution == .direct && !DirectConv3d.cpuHasAVX512 ? .im2col : convolution
    }

    /// The active core count.
    public static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `.direct` where the CPU has AVX-512, unless the environment sets LITSNET_IM2COL=1 (to
    /// compare the two paths).
    public static var defaultConvolution: ConvolutionPath {
        DirectConv3d.cpuHasAVX512 && ProcessInfo.processInfo.environment["LITSNET_IM2COL"] != "1" ? .direct : .im2col
    }

    /// Every core, and the direct convolution where the CPU and the environment allow it.
    public static var `default`: NetContext { NetContext() }
}
