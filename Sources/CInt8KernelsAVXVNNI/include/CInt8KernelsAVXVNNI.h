// The int8 kernels of CInt8Kernels.h for CPUs with AVX-VNNI (VEX vpdpbusd on 256-bit vectors)
// and AVX2 + FMA but perhaps no AVX-512 (Intel Alder Lake and later client cores, Sierra
// Forest). Same arguments, layout and results, bit for bit: the int32 sums are exact and the
// dequantization is the same fused multiply-add. Built in a target of its own with no AVX-512
// flag (function-level targets name AVX2, FMA, AVX-VNNI): call them after DirectConv3dInt8.kernels.
#ifndef CINT8_KERNELS_AVXVNNI_H
#define CINT8_KERNELS_AVXVNNI_H
#include <stddef.h>
#include <stdint.h>

/// lits_int8_conv_forward (CInt8Kernels.h) with 8-lane vectors.
void lits_int8_conv_forward_avxvnni(const uint32_t *x, ptrdiff_t quad_stride, ptrdiff_t in_quads,
                                    const ptrdiff_t *offsets, const uint32_t *weights, ptrdiff_t output_blocks,
                                    ptrdiff_t q0, ptrdiff_t chunks, const float *scale, const float *shift,
                                    float *z, ptrdiff_t z_stride);

/// lits_int8_min_max with AVX2.
void lits_int8_min_max_avx2(const float *src, ptrdiff_t n, float *lo, float *hi);

/// lits_int8_pack_quads with AVX2.
void lits_int8_pack_quads_avx2(const float *const c[4], ptrdiff_t n, const float step[4], const int32_t zero_point[4],
                               uint32_t *out);

#endif
