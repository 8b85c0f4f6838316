// swift-tools-version:6.0
import PackageDescription

// The direct-convolution kernels are written for AVX-512 (32 vector registers): on x86_64 their
// target is compiled for skylake-avx512, and optimised even in debug builds, where unoptimised
// SIMD code would make the test suite's training runs crawl. LiTSNet checks the CPU at run time
// and uses im2col + OpenBLAS where AVX-512 is missing.
#if arch(x86_64)
let convKernelFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512", "-O"])]
#else
let convKernelFlags: [SwiftSetting] = [.unsafeFlags(["-O"])]
#endif
// The same kernels for AVX2 + FMA (16 vector registers), for x86-64 CPUs without AVX-512 (AMD
// Zen 2 and 3, many Intel); LiTSNet checks /proc/cpuinfo for avx2 and fma before any call.
#if arch(x86_64)
let convKernelAVX2Flags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell", "-O"])]
#else
let convKernelAVX2Flags: [SwiftSetting] = [.unsafeFlags(["-O"])]
#endif
// The bf16 kernels are C (Swift's SIMD types cannot emit vdpbf16ps), compiled for AVX-512 BF16
// and optimised in debug builds too; LiTSNet checks /proc/cpuinfo for avx512_bf16 before any call.
#if arch(x86_64)
let bf16KernelFlags: [CSetting] = [.unsafeFlags(["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512bf16", "-O3"])]
#else
let bf16KernelFlags: [CSetting] = []
#endif
// The int8 inference kernels (vpdpbusd), likewise C, for AVX512-VNNI; LiTSNet checks avx512_vnni first.
#if arch(x86_64)
let int8KernelFlags: [CSetting] = [.unsafeFlags(["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni", "-O3"])]
#else
let int8KernelFlags: [CSetting] = []
#endif

// Native libraries come from Debian (see the Makefile's `setup` target):
// libnifti2-dev, libpng-dev, libopenblas-dev, gnuplot-nox, libcairo2-dev, libgdcm-dev.
// Linux only (Debian 12 with Swift 6): the C libraries' paths, /proc/cpuinfo and glibc's mallopt
// are Linux's. SwiftPM has no way to declare a Linux-only package, so there is no `platforms` entry.
let package = Package(
    name: "LiTSKit",
    products: [
        .executable(name: "lits", targets: ["lits"]),
        .executable(name: "lits-bench", targets: ["lits-bench"]),
        .library(name: "LiTSCore", targets: ["LiTSCore"]),
        .library(name: "LiTSImaging", targets: ["LiTSImaging"]),
        .library(name: "LiTSRender", targets: ["LiTSRender"]),
        .library(name: "LiTSAnalysis", targets: ["LiTSAnalysis"]),
        .library(name: "LiTSNet", targets: ["LiTSNet"]),
        .library(name: "LiTSEvaluation", targets: ["LiTSEvaluation"]),
        .library(name: "LiTSInference", targets: ["LiTSInference"]),
        .library(name: "LiTSTraining", targets: ["LiTSTraining"]),
        // The C ABI for Python (python/litskit, ctypes): liblitskit.so.
        .library(name: "litskit", type: .dynamic, targets: ["LiTSKitC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries. libpng and OpenBLAS ship pkg-config files on Debian; libnifti2-dev does
        // not, so CNIfTI stays a C target with a forwarding header.
        .systemLibrary(name: "CPNG", pkgConfig: "libpng16", providers: [.apt(["libpng-dev"])]),
        // Cairo (libcairo2-dev) draws the montages: PNG, SVG and PDF from one drawing.
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Open MPI (libopenmpi-dev): a header of inline functions, since MPI_COMM_WORLD, MPI_FLOAT
        // and MPI_SUM are macros Swift cannot import.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // GDCM (libgdcm-dev) reads DICOM for `lits import-dicom`, behind a C function (no pkg-config
        // file on Debian, hence the include path and libraries named here).
        .target(name: "CGDCM", cxxSettings: [.unsafeFlags(["-I/usr/include/gdcm-3.0"])], linkerSettings: [
            .linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmDICT"),
            .linkedLibrary("gdcmCommon"), .linkedLibrary("stdc++"),
        ]),
        .target(name: "CNIfTI", linkerSettings: [
            .linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z"), .linkedLibrary("m"),
        ]),

        .target(name: "LiTSCore", dependencies: ["CNIfTI"]),
        .target(name: "LiTSImaging", dependencies: ["LiTSCore"]),
        .target(name: "LiTSDICOM", dependencies: ["LiTSCore", "CGDCM"]),
        .target(name: "LiTSRender", dependencies: ["LiTSCore", "CPNG", "CCairo"]),
        .target(name: "LiTSAnalysis", dependencies: ["LiTSCore", "LiTSImaging", "LiTSRender"]),
        .target(name: "LiTSConvKernels", swiftSettings: convKernelFlags),
        .target(name: "LiTSConvKernelsAVX2", swiftSettings: convKernelAVX2Flags),
        .target(name: "CBF16Kernels", cSettings: bf16KernelFlags),
        .target(name: "CInt8Kernels", cSettings: int8KernelFlags),
        // The same int8 kernels for AVX-VNNI (256-bit, no AVX-512): no AVX-512 flag may reach them.
        .target(name: "CInt8KernelsAVXVNNI", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "LiTSNet", dependencies: ["COpenBLAS", "LiTSConvKernels", "LiTSConvKernelsAVX2", "CBF16Kernels", "CInt8Kernels", "CInt8KernelsAVXVNNI", "LiTSCore"]),
        .target(name: "LiTSInference", dependencies: ["LiTSCore", "LiTSImaging", "LiTSNet"]),
        // The processes of an mpirun/srun launch (or one process): LiTSCore.ProcessGroup over MPI.
        .target(name: "LiTSCluster", dependencies: ["CMPI", "LiTSCore"]),
        .target(name: "LiTSTraining", dependencies: ["LiTSCore", "LiTSImaging", "LiTSNet", "LiTSInference", "LiTSRender", "LiTSAnalysis", "LiTSEvaluation"]),
        .target(name: "LiTSEvaluation", dependencies: ["LiTSCore", "LiTSImaging", "LiTSRender"]),
        .target(name: "LiTSKitC", dependencies: ["LiTSCore", "LiTSImaging", "LiTSAnalysis", "LiTSEvaluation"]),
        // `lits bench`'s measurements of the engine (the command only parses and prints).
        .target(name: "LiTSBench", dependencies: ["LiTSCore", "LiTSImaging", "LiTSNet", "LiTSInference", "LiTSTraining"]),
        // The command line's typed values and option groups, shared by the `lits` commands.
        .target(name: "LiTSCommandLine", dependencies: [
            "LiTSBench", "LiTSCore", "LiTSCluster", "LiTSDICOM", "LiTSImaging", "LiTSRender", "LiTSAnalysis", "LiTSNet", "LiTSInference", "LiTSTraining", "LiTSEvaluation",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Process-wide C settings of the `lits` executable (line-buffered stdout).
        .target(name: "CProcess"),
        .executableTarget(name: "lits", dependencies: [
            "CProcess", "LiTSCore", "LiTSImaging", "LiTSRender", "LiTSAnalysis", "LiTSNet", "LiTSInference", "LiTSTraining", "LiTSEvaluation",
            "LiTSCluster", "LiTSDICOM", "LiTSBench", "LiTSCommandLine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lits-bench", dependencies: ["LiTSCore", "LiTSImaging", "LiTSAnalysis"],
                          path: "benchmarks/Sources/lits-bench"),

        .testTarget(name: "LiTSCoreTests", dependencies: ["LiTSCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LiTSDICOMTests", dependencies: ["LiTSDICOM", "LiTSCore"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LiTSImagingTests", dependencies: ["LiTSImaging"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LiTSRenderTests", dependencies: ["LiTSRender", "LiTSCore", "LiTSAnalysis"]),
        .testTarget(name: "LiTSAnalysisTests", dependencies: ["LiTSAnalysis", "LiTSCore", "LiTSImaging"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LiTSNetTests", dependencies: ["LiTSNet", "LiTSCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LiTSTrainingTests", dependencies: ["LiTSTraining", "LiTSInference", "LiTSNet", "LiTSCore", "LiTSImaging", "LiTSRender"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LiTSInferenceTests", dependencies: ["LiTSInference", "LiTSNet", "LiTSCore", "LiTSImaging"]),
        .testTarget(name: "LiTSEvaluationTests", dependencies: ["LiTSEvaluation", "LiTSCore", "LiTSImaging"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LitsCLITests", dependencies: ["LiTSCore", "LiTSNet", "LiTSRender"]),
    ],
    // Swift 6 language mode everywhere (strict concurrency checking): loops that share buffers
    // between workers go through Parallel.perform or NetThreads, which say why that is safe.
    swiftLanguageModes: [.v6]
)
