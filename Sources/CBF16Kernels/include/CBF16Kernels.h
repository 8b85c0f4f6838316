// bf16 direct 3x3x3 convolution kernels (AVX-512 BF16: vdpbf16ps), with fp32 accumulation.
// Same padded layout as LiTSConvKernels' fp32 kernels (see DirectConvolution.swift): a volume
// (C, D+2, H+2, W+2) zero-padded by one voxel, each channel flattened, the 27 taps constant
// offsets in that flat index. Written in C because Swift's SIMD types cannot emit vdpbf16ps.
// Everything here is compiled with -mavx512bf16: call nothing before checking the CPU
// (LiTSNet's DirectConv3dBF16.cpuHasAVX512BF16).
#ifndef CBF16_KERNELS_H
#define CBF16_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Padded positions per forward chunk (six vectors of 16) and output channels per kernel call.
enum { lits_bf16_chunk = 96, lits_bf16_output_block = 4 };

/// z[o, j] = sum over pairs p < in_pairs and taps k < 27 of
///   w[o, 2p, k] * x[2p, q0 + j + offsets[k]] + w[o, 2p+1, k] * x[2p+1, q0 + j + offsets[k]]
/// for j < chunks * 96 and o < 4 * output_blocks.
/// - x: channel pairs, element (p, q) = bf16 x[2p, q] in the low half, x[2p+1, q] in the high
///   half; pair p starts at x + p * pair_stride.
/// - weights: (output_blocks, in_pairs, 27, 4) pairs in the same order, o = block * 4 + lane.
/// - z: output channel o (fp32) starts at z + o * z_stride.
void lits_bf16_conv_forward(const uint32_t *x, ptrdiff_t pair_stride, ptrdiff_t in_pairs,
                            const ptrdiff_t *offsets, const uint32_t *weights, ptrdiff_t output_blocks,
                            ptrdiff_t q0, ptrdiff_t chunks, float *z, ptrdiff_t z_stride);

/// dW[o, c, k] += sum over j < count of dy[o, q0 + j] * x[c, q0 + j + offsets[k]] for o <
/// 4 * output_blocks, c < in_channels, k < 27; dW is fp32 (4 * output_blocks, in_channels, 27).
/// dy and x are plain bf16 channels (one value per position), channel c at x + c * x_stride.
void lits_bf16_conv_weight_gradient(const uint16_t *dy, ptrdiff_t dy_stride, const uint16_t *x,
                                    ptrdiff_t x_stride, ptrdiff_t in_channels, const ptrdiff_t *offsets,
                                    ptrdiff_t output_blocks, ptrdiff_t q0, ptrdiff_t count, float *dW);

/// out[i] = bf16(src[i]), rounded to nearest even (the conversion vdpbf16ps's users expect).
void lits_bf16_convert(const float *src, ptrdiff_t n, uint16_t *out);

/// out[i] = bf16(low[i]) | bf16(high[i]) << 16: two channels interleaved as the forward kernel
/// reads them. `high` may be NULL for a zero channel (an odd channel count).
void lits_bf16_pack_pairs(const float *low, const float *high, ptrdiff_t n, uint32_t *out);

#endif
