import Foundation

// How the engine uses this CPU, as a value: how many worker threads a layer call splits its work
// over, and which kernel-3 convolution runs. A UNet3D holds one and hands it to its layers; there
// is no global switch. `.default` is what a model gets when nobody chooses.

/// Which implementation runs a kernel-3 Conv3d.
public enum ConvolutionPath: String, Sendable, Equatable {
    /// DirectConv3d.swift: AVX-512 kernels, no im2col.
    case direct = "direct-avx512"
    /// DirectConv3d.swift with the AVX2 + FMA kernels, for x86-64 CPUs without AVX-512.
    case directAVX2 = "direct-avx2"
    /// im2col + single-threaded OpenBLAS GEMMs (Conv3d.swift), everywhere; the reference the
    /// direct path is tested against.
    case im2col = "im2col-openblas"
}

extension ConvolutionPath {
    /// The kernel set a direct path runs; nil for im2col.
    var directKernels: DirectKernels? {
        switch self {
        case .direct: .avx512
        case .directAVX2: .avx2
        case .im2col: nil
        }
    }
}

public struct NetContext: Sendable, Equatable {
    /// Swift worker threads per layer call (the CLI's `--threads`), each calling a
    /// single-threaded OpenBLAS, so the cores are not oversubscribed. At least 1.
    public var workers: Int {
        didSet { workers = max(1, workers) }
    }

    /// The kernel-3 convolution. `.direct` is only kept where the CPU has AVX-512, `.directAVX2`
    /// where it has AVX2 and FMA: elsewhere the kernels would stop with an illegal instruction,
    /// so they become `.im2col`.
    public var convolution: ConvolutionPath {
        didSet {
            if convolution.directKernels?.isSupported == false { convolution = .im2col }
            precision = NetContext.available(precision, convolution)
        }
    }

    /// The number format kernel-3 convolutions multiply in (mixed precision: weights, optimizer
    /// state, batch norm and loss stay fp32 whatever it is). `.bf16` runs only on the direct path
    /// of a CPU with AVX512_BF16; elsewhere it becomes `.fp32`, as `.direct` becomes `.im2col`;
    /// callers that must not fall back check `KernelConvolution.isSupported(.bf16)` first.
    public var precision: ConvolutionPrecision {
        didSet { precision = NetContext.available(precision, convolution) }
    }

    /// The fp32 direct kernels' shape (register blocking, band size; KernelShape.swift), or nil
    /// for this process's: the one KernelShapeTuner chose for this CPU, or the built-in one where
    /// LITSKIT_KERNEL_SHAPES=fixed. A shape for another kernel set than `convolution`'s is ignored.
    /// Forward outputs and all gradients are the same for every shape; only speed changes.
    public var kernelShape: KernelShape?

    /// `kernelShape` where it is for `kernels`, else nil (the process's choice).
    func kernelShape(for kernels: DirectKernels) -> KernelShape? {
        kernelShape.flatMap { $0.kernels == kernels && $0.isValid ? $0 : nil }
    }

    public init(workers: Int = NetContext.defaultWorkers, convolution: ConvolutionPath = NetContext.defaultConvolution,
                precision: ConvolutionPrecision = .fp32) {
        self.workers = max(1, workers)
        let path = convolution.directKernels?.isSupported == false ? .im2col : convolution
        self.convolution = path
        self.precision = NetContext.available(precision, path)
    }

    static func available(_ precision: ConvolutionPrecision, _ path: ConvolutionPath) -> ConvolutionPrecision {
        precision == .bf16 && (path != .direct || !DirectConv3dBF16.cpuHasAVX512BF16) ? .fp32
            : precision == .int8 && (path.directKernels == nil || DirectConv3dInt8.kernels == nil) ? .fp32 : precision
    }

    /// The active core count.
    public static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `.direct` where the CPU has AVX-512, else `.directAVX2` where it has AVX2 and FMA, unless
    /// the environment sets LITSNET_IM2COL=1 (to compare the paths).
    public static var defaultConvolution: ConvolutionPath {
        guard ProcessInfo.processInfo.environment["LITSNET_IM2COL"] != "1" else { return .im2col }
        switch DirectKernels.best {
        case .avx512: return .direct
        case .avx2: return .directAVX2
        case nil: return .im2col
        }
    }

    /// Every core, and the direct convolution where the CPU and the environment allow it.
    public static var `default`: NetContext { NetContext() }
}
