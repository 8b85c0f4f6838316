// See include/CBF16Kernels.h. Register blocking as in the fp32 kernels: 4 output channels x 6
// vectors = 24 accumulators, the rest of the 32 registers for loads and broadcasts.
#include "CBF16Kernels.h"

#if defined(__x86_64__) && defined(__AVX512BF16__)
#include <immintrin.h>

#define BH(v) ((__m512bh)(v))

void lits_bf16_conv_forward(const uint32_t *x, ptrdiff_t pair_stride, ptrdiff_t in_pairs,
                            const ptrdiff_t *offsets, const uint32_t *weights, ptrdiff_t output_blocks,
                            ptrdiff_t q0, ptrdiff_t chunks, float *z, ptrdiff_t z_stride) {
    for (ptrdiff_t c = 0; c < chunks; c++) {
        const uint32_t *start = x + q0 + c * lits_bf16_chunk;
        for (ptrdiff_t block = 0; block < output_blocks; block++) {
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
            __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
            __m512 c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, c5 = a0;
            __m512 d0 = a0, d1 = a0, d2 = a0, d3 = a0, d4 = a0, d5 = a0;
            const uint32_t *w = weights + block * in_pairs * 27 * 4;
            for (ptrdiff_t p = 0; p < in_pairs; p++) {
                const uint32_t *channel = start + p * pair_stride;
                for (int k = 0; k < 27; k++) {
                    const uint32_t *q = channel + offsets[k];
                    __m512bh x0 = BH(_mm512_loadu_si512(q)), x1 = BH(_mm512_loadu_si512(q + 16));
                    __m512bh x2 = BH(_mm512_loadu_si512(q + 32)), x3 = BH(_mm512_loadu_si512(q + 48));
                    __m512bh x4 = BH(_mm512_loadu_si512(q + 64)), x5 = BH(_mm512_loadu_si512(q + 80));
                    __m512bh w0 = BH(_mm512_set1_epi32((int)w[0])), w1 = BH(_mm512_set1_epi32((int)w[1]));
                    __m512bh w2 = BH(_mm512_set1_epi32((int)w[2])), w3 = BH(_mm512_set1_epi32((int)w[3]));
                    a0 = _mm512_dpbf16_ps(a0, x0, w0); a1 = _mm512_dpbf16_ps(a1, x1, w0); a2 = _mm512_dpbf16_ps(a2, x2, w0);
                    a3 = _mm512_dpbf16_ps(a3, x3, w0); a4 = _mm512_dpbf16_ps(a4, x4, w0); a5 = _mm512_dpbf16_ps(a5, x5, w0);
                    b0 = _mm512_dpbf16_ps(b0, x0, w1); b1 = _mm512_dpbf16_ps(b1, x1, w1); b2 = _mm512_dpbf16_ps(b2, x2, w1);
                    b3 = _mm512_dpbf16_ps(b3, x3, w1); b4 = _mm512_dpbf16_ps(b4, x4, w1); b5 = _mm512_dpbf16_ps(b5, x5, w1);
                    c0 = _mm512_dpbf16_ps(c0, x0, w2); c1 = _mm512_dpbf16_ps(c1, x1, w2); c2 = _mm512_dpbf16_ps(c2, x2, w2);
                    c3 = _mm512_dpbf16_ps(c3, x3, w2); c4 = _mm512_dpbf16_ps(c4, x4, w2); c5 = _mm512_dpbf16_ps(c5, x5, w2);
                    d0 = _mm512_dpbf16_ps(d0, x0, w3); d1 = _mm512_dpbf16_ps(d1, x1, w3); d2 = _mm512_dpbf16_ps(d2, x2, w3);
                    d3 = _mm512_dpbf16_ps(d3, x3, w3); d4 = _mm512_dpbf16_ps(d4, x4, w3); d5 = _mm512_dpbf16_ps(d5, x5, w3);
                    w += 4;
                }
            }
            float *o = z + block * 4 * z_stride + c * lits_bf16_chunk;
            _mm512_storeu_ps(o, a0); _mm512_storeu_ps(o + 16, a1); _mm512_storeu_ps(o + 32, a2);
            _mm512_storeu_ps(o + 48, a3); _mm512_storeu_ps(o + 64, a4); _mm512_storeu_ps(o + 80, a5);
            o += z_stride;
            _mm512_storeu_ps(o, b0); _mm512_storeu_ps(o + 16, b1); _mm512_storeu_ps(o + 32, b2);
            _mm512_storeu_ps(o + 48, b3); _mm512_storeu_ps(o + 64, b4); _mm512_storeu_ps(o + 80, b5);
            o += z_stride;
            _mm512_storeu_ps(o, c0); _mm512_storeu_ps(o + 16, c1); _mm512_storeu_ps(o + 32, c2);
            _mm512_storeu_ps(o + 48, c3); _mm512_storeu_ps(o + 64, c4); _mm512_storeu_ps(o + 80, c5);
            o += z_stride;
            _mm512_storeu_ps(o, d0); _mm512_storeu_ps(o + 16, d1); _mm512_storeu_ps(o + 32, d2);
            _mm512_storeu_ps(o + 48, d3); _mm512_storeu_ps(o + 64, d4); _mm512_storeu_ps(o + 80, d5);
        }
    }
}

// The weight gradient pairs consecutive positions: one vdpbf16ps lane sums dy[q] * x[q + t] and
// dy[q+1] * x[q+1 + t], so a vector covers 32 positions. dy past `count` is loaded as zero
// (masked), which cancels the x values read there (padding, slack or other voxels: all finite).

// Sums of 4 output channels x `taps` taps (at most 6) over the run, added into dW.
static inline void weight_gradient_taps(const uint16_t *g, ptrdiff_t dy_stride, const uint16_t *channel,
                                        const ptrdiff_t *offsets, int first, int taps, ptrdiff_t count,
                                        float *out, ptrdiff_t o_stride) {
    __m512 acc[4][6];
    for (int o = 0; o < 4; o++) for (int t = 0; t < 6; t++) acc[o][t] = _mm512_setzero_ps();
    const uint16_t *r[6];
    for (int t = 0; t < taps; t++) r[t] = channel + offsets[first + t];
    for (ptrdiff_t j = 0; j < count; j += 32) {
        ptrdiff_t left = count - j;
        __mmask32 mask = left >= 32 ? 0xFFFFFFFFu : (((__mmask32)1 << left) - 1);
        __m512bh y[4];
        for (int o = 0; o < 4; o++) y[o] = BH(_mm512_maskz_loadu_epi16(mask, g + o * dy_stride + j));
        for (int t = 0; t < taps; t++) {
            __m512bh xv = BH(_mm512_loadu_si512(r[t] + j));
            for (int o = 0; o < 4; o++) acc[o][t] = _mm512_dpbf16_ps(acc[o][t], y[o], xv);
        }
    }
    for (int o = 0; o < 4; o++) for (int t = 0; t < taps; t++) out[o * o_stride + first + t] += _mm512_reduce_add_ps(acc[o][t]);
}

void lits_bf16_conv_weight_gradient(const uint16_t *dy, ptrdiff_t dy_stride, const uint16_t *x,
                                    ptrdiff_t x_stride, ptrdiff_t in_channels, const ptrdiff_t *offsets,
                                    ptrdiff_t output_blocks, ptrdiff_t q0, ptrdiff_t count, float *dW) {
    ptrdiff_t o_stride = in_channels * 27;
    for (ptrdiff_t block = 0; block < output_blocks; block++) {
        const uint16_t *g = dy + block * 4 * dy_stride + q0;
        for (ptrdiff_t c = 0; c < in_channels; c++) {
            const uint16_t *channel = x + c * x_stride + q0;
            float *out = dW + (block * 4 * in_channels + c) * 27;
            // Taps six at a time (the loops over o and t unroll: 24 sums in registers), then three.
            weight_gradient_taps(g, dy_stride, channel, offsets, 0, 6, count, out, o_stride);
            weight_gradient_taps(g, dy_stride, channel, offsets, 6, 6, count, out, o_stride);
            weight_gradient_taps(g, dy_stride, channel, offsets, 12, 6, count, out, o_stride);
            weight_gradient_taps(g, dy_stride, channel, offsets, 18, 6, count, out, o_stride);
            weight_gradient_taps(g, dy_stride, channel, offsets, 24, 3, count, out, o_stride);
        }
    }
}

void lits_bf16_convert(const float *src, ptrdiff_t n, uint16_t *out) {
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm256_storeu_si256((__m256i *)(out + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
    }
    if (i < n) {
        __mmask16 mask = (__mmask16)((1u << (n - i)) - 1);
        __m256i v = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src + i));
        _mm256_mask_storeu_epi16(out + i, mask, v);
    }
}

void lits_bf16_pack_pairs(const float *low, const float *high, ptrdiff_t n, uint32_t *out) {
    for (ptrdiff_t i = 0; i < n; i += 16) {
        ptrdiff_t left = n - i;
        __mmask16 mask = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
        __m512i lo = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, low + i)));
        __m512i hi = high ? _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, high + i)))
                          : _mm512_setzero_si512();
        _mm512_mask_storeu_epi32(out + i, mask, _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16)));
    }
}

#else
// Other CPUs: LiTSNet never calls these (its CPU check fails); stop loudly if something does.
#include <stdlib.h>
void lits_bf16_conv_forward(const uint32_t *x, ptrdiff_t pair_stride, ptrdiff_t in_pairs, const ptrdiff_t *offsets,
                            const uint32_t *weights, ptrdiff_t output_blocks, ptrdiff_t q0, ptrdiff_t chunks,
                            float *z, ptrdiff_t z_stride) { abort(); }
void lits_bf16_conv_weight_gradient(const uint16_t *dy, ptrdiff_t dy_stride, const uint16_t *x, ptrdiff_t x_stride,
                                    ptrdiff_t in_channels, const ptrdiff_t *offsets, ptrdiff_t output_blocks,
                                    ptrdiff_t q0, ptrdiff_t count, float *dW) { abort(); }
void lits_bf16_convert(const float *src, ptrdiff_t n, uint16_t *out) { abort(); }
void lits_bf16_pack_pairs(const float *low, const float *high, ptrdiff_t n, uint32_t *out) { abort(); }
#endif
