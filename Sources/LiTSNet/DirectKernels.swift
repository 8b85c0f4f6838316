import Foundation
import LiTSConvKernels
import LiTSConvKernelsAVX2

// Which set of direct-convolution kernels DirectConv3d calls: AVX-512 (LiTSConvKernels) or
// AVX2 + FMA (LiTSConvKernelsAVX2). Both take the same padded buffers and packed weights; they
// differ in the forward chunk (KernelShape.forwardChunk), which sets a band's output row
// length. Each set has two register blockings of the forward and two of the weight gradient
// (KernelShape.swift says which runs).

enum DirectKernels: Sendable, Equatable {
    case avx512, avx2

    /// Whether this CPU has AVX2 and FMA: LiTSConvKernelsAVX2 is built for haswell.
    static let cpuHasAVX2FMA = CPUInfo.has(["avx", "avx2", "fma"])

    /// Whether this CPU runs the set.
    var isSupported: Bool {
        switch self {
        case .avx512: DirectConv3d.cpuHasAVX512
        case .avx2: DirectKernels.cpuHasAVX2FMA
        }
    }

    /// The best set this CPU runs, or nil (then only im2col runs).
    static var best: DirectKernels? {
        DirectConv3d.cpuHasAVX512 ? .avx512 : cpuHasAVX2FMA ? .avx2 : nil
    }

    /// See `DirectConvolution.forward` and `forwardWide` (chunks of `KernelShape.forwardChunk`).
    func forward(_ blocking: KernelShape.ForwardBlocking = .outputs4, x: UnsafePointer<Float>, channelStride: Int,
                 inChannels: Int, offsets: UnsafePointer<Int>, weights: UnsafePointer<Float>, outputBlocks: Int,
                 q0: Int, chunks: Int, z: UnsafeMutablePointer<Float>, zStride: Int) {
        switch (self, blocking) {
        case (.avx512, .outputs4):
            DirectConvolution.forward(x: x, channelStride: channelStride, inChannels: inChannels, offsets: offsets,
                                      weights: weights, outputBlocks: outputBlocks, q0: q0, chunks: chunks, z: z, zStride: zStride)
        case (.avx512, .outputs8):
            DirectConvolution.forwardWide(x: x, channelStride: channelStride, inChannels: inChannels, offsets: offsets,
                                          weights: weights, outputBlocks: outputBlocks, q0: q0, chunks: chunks, z: z, zStride: zStride)
        case (.avx2, .outputs4):
            DirectConvolutionAVX2.forward(x: x, channelStride: channelStride, inChannels: inChannels, offsets: offsets,
                                          weights: weights, outputBlocks: outputBlocks, q0: q0, chunks: chunks, z: z, zStride: zStride)
        case (.avx2, .outputs8):
            DirectConvolutionAVX2.forwardWide(x: x, channelStride: channelStride, inChannels: inChannels, offsets: offsets,
                                              weights: weights, outputBlocks: outputBlocks, q0: q0, chunks: chunks, z: z, zStride: zStride)
        }
    }

    /// See `DirectConvolution.weightGradient` and `weightGradientWide`.
    func weightGradient(_ blocking: KernelShape.GradientBlocking = .taps6, dy: UnsafePointer<Float>, dyStride: Int,
                        x: UnsafePointer<Float>, xStride: Int, inChannels: Int, offsets: UnsafePointer<Int>,
                        outputBlocks: Int, q0: Int, count: Int, dW: UnsafeMutablePointer<Float>) {
        switch (self, blocking) {
        case (.avx512, .taps6):
            DirectConvolution.weightGradient(dy: dy, dyStride: dyStride, x: x, xStride: xStride, inChannels: inChannels,
                                             offsets: offsets, outputBlocks: outputBlocks, q0: q0, count: count, dW: dW)
        case (.avx512, .taps3):
            DirectConvolution.weightGradientWide(dy: dy, dyStride: dyStride, x: x, xStride: xStride, inChannels: inChannels,
                                                 offsets: offsets, outputBlocks: outputBlocks, q0: q0, count: count, dW: dW)
        case (.avx2, .taps6):
            DirectConvolutionAVX2.weightGradient(dy: dy, dyStride: dyStride, x: x, xStride: xStride, inChannels: inChannels,
                                                 offsets: offsets, outputBlocks: outputBlocks, q0: q0, count: count, dW: dW)
        case (.avx2, .taps3):
            DirectConvolutionAVX2.weightGradientWide(dy: dy, dyStride: dyStride, x: x, xStride: xStride, inChannels: inChannels,
                                                     offsets: offsets, outputBlocks: outputBlocks, q0: q0, count: count, dW: dW)
        }
    }
}
