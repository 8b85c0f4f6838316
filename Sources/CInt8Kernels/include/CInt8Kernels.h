// int8 direct 3x3x3 convolution kernels for inference (AVX512-VNNI: vpdpbusd, unsigned 8-bit
// activations times signed 8-bit weights, summed exactly in int32). Same padded layout as the
// fp32 and bf16 kernels (DirectConvolution.swift, CBF16Kernels): a volume (C, D+2, H+2, W+2)
// padded by one voxel, each channel flattened, the 27 taps constant offsets in that flat index.
// vpdpbusd multiplies 4 consecutive bytes of each 32-bit lane by 4 bytes and adds the 4
// products, so 4 input channels are interleaved per position ("quads", one uint32 each).
// Everything here is compiled with -mavx512vnni: call nothing before checking the CPU
// (LiTSNet's DirectConv3dInt8.cpuHasAVX512VNNI).
#ifndef CINT8_KERNELS_H
#define CINT8_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Padded positions per forward chunk (six vectors of 16) and output channels per kernel call.
enum { lits_int8_chunk = 96, lits_int8_output_block = 4 };

/// acc[o, j] = sum over quads p < in_quads, taps k < 27 and lanes l < 4 of
///   w[o, 4p+l, k] * x[4p+l, q0 + j + offsets[k]]        (exact, in int32)
/// for j < chunks * 96 and o < 4 * output_blocks, written dequantized as fp32:
///   z[o, j] = acc[o, j] * scale[o] + shift[o].
/// - x: channel quads, byte l of element (p, q) = u8 x[4p+l, q]; quad p starts at x + p * quad_stride.
/// - weights: (output_blocks, in_quads, 27, 4) quads of s8 in the same byte order, o = block * 4 + lane.
/// - scale, shift: 4 * output_blocks each. z: output channel o starts at z + o * z_stride.
void lits_int8_conv_forward(const uint32_t *x, ptrdiff_t quad_stride, ptrdiff_t in_quads,
                            const ptrdiff_t *offsets, const uint32_t *weights, ptrdiff_t output_blocks,
                            ptrdiff_t q0, ptrdiff_t chunks, const float *scale, const float *shift,
                            float *z, ptrdiff_t z_stride);

/// The smallest and largest of src[0 ..< n] (n >= 1), into *lo and *hi.
void lits_int8_min_max(const float *src, ptrdiff_t n, float *lo, float *hi);

/// out[i] = the 4 channels c[0..3] at position i quantized, each with its own step and zero point:
/// byte l = clamp(round(c[l][i] / step[l]) + zero_point[l], 0, 255) (round to nearest even).
/// A NULL channel is a zero channel (value 0, byte zero_point[l]).
void lits_int8_pack_quads(const float *const c[4], ptrdiff_t n, const float step[4], const int32_t zero_point[4],
                          uint32_t *out);

#endif
