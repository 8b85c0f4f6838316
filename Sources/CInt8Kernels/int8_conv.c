// See include/CInt8Kernels.h. Register blocking as in the fp32 and bf16 kernels: 4 output
// channels x 6 vectors = 24 int32 accumulators, the rest of the 32 registers for loads and
// broadcasts. Each vpdpbusd does 64 multiply-adds (16 lanes x 4 bytes) where an fp32 FMA does 16.
#include "CInt8Kernels.h"

#if defined(__x86_64__) && defined(__AVX512VNNI__)
#include <immintrin.h>

// Four accumulators of one output channel (6 vectors) dequantized into z.
static inline void store_row(float *o, float scale, float shift, __m512i v0, __m512i v1, __m512i v2,
                             __m512i v3, __m512i v4, __m512i v5) {
    __m512 s = _mm512_set1_ps(scale), t = _mm512_set1_ps(shift);
    _mm512_storeu_ps(o, _mm512_fmadd_ps(_mm512_cvtepi32_ps(v0), s, t));
    _mm512_storeu_ps(o + 16, _mm512_fmadd_ps(_mm512_cvtepi32_ps(v1), s, t));
    _mm512_storeu_ps(o + 32, _mm512_fmadd_ps(_mm512_cvtepi32_ps(v2), s, t));
    _mm512_storeu_ps(o + 48, _mm512_fmadd_ps(_mm512_cvtepi32_ps(v3), s, t));
    _mm512_storeu_ps(o + 64, _mm512_fmadd_ps(_mm512_cvtepi32_ps(v4), s, t));
    _mm512_storeu_ps(o + 80, _mm512_fmadd_ps(_mm512_cvtepi32_ps(v5), s, t));
}

void lits_int8_conv_forward(const uint32_t *x, ptrdiff_t quad_stride, ptrdiff_t in_quads,
                            const ptrdiff_t *offsets, const uint32_t *weights, ptrdiff_t output_blocks,
                            ptrdiff_t q0, ptrdiff_t chunks, const float *scale, const float *shift,
                            float *z, ptrdiff_t z_stride) {
    for (ptrdiff_t c = 0; c < chunks; c++) {
        const uint32_t *start = x + q0 + c * lits_int8_chunk;
        for (ptrdiff_t block = 0; block < output_blocks; block++) {
            __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
            __m512i b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0;
            __m512i c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0, c5 = a0;
            __m512i d0 = a0, d1 = a0, d2 = a0, d3 = a0, d4 = a0, d5 = a0;
            const uint32_t *w = weights + block * in_quads * 27 * 4;
            for (ptrdiff_t p = 0; p < in_quads; p++) {
                const uint32_t *channel = start + p * quad_stride;
                for (int k = 0; k < 27; k++) {
                    const uint32_t *q = channel + offsets[k];
                    __m512i x0 = _mm512_loadu_si512(q), x1 = _mm512_loadu_si512(q + 16);
                    __m512i x2 = _mm512_loadu_si512(q + 32), x3 = _mm512_loadu_si512(q + 48);
                    __m512i x4 = _mm512_loadu_si512(q + 64), x5 = _mm512_loadu_si512(q + 80);
                    __m512i w0 = _mm512_set1_epi32((int)w[0]), w1 = _mm512_set1_epi32((int)w[1]);
                    __m512i w2 = _mm512_set1_epi32((int)w[2]), w3 = _mm512_set1_epi32((int)w[3]);
                    a0 = _mm512_dpbusd_epi32(a0, x0, w0); a1 = _mm512_dpbusd_epi32(a1, x1, w0); a2 = _mm512_dpbusd_epi32(a2, x2, w0);
                    a3 = _mm512_dpbusd_epi32(a3, x3, w0); a4 = _mm512_dpbusd_epi32(a4, x4, w0); a5 = _mm512_dpbusd_epi32(a5, x5, w0);
                    b0 = _mm512_dpbusd_epi32(b0, x0, w1); b1 = _mm512_dpbusd_epi32(b1, x1, w1); b2 = _mm512_dpbusd_epi32(b2, x2, w1);
                    b3 = _mm512_dpbusd_epi32(b3, x3, w1); b4 = _mm512_dpbusd_epi32(b4, x4, w1); b5 = _mm512_dpbusd_epi32(b5, x5, w1);
                    c0 = _mm512_dpbusd_epi32(c0, x0, w2); c1 = _mm512_dpbusd_epi32(c1, x1, w2); c2 = _mm512_dpbusd_epi32(c2, x2, w2);
                    c3 = _mm512_dpbusd_epi32(c3, x3, w2); c4 = _mm512_dpbusd_epi32(c4, x4, w2); c5 = _mm512_dpbusd_epi32(c5, x5, w2);
                    d0 = _mm512_dpbusd_epi32(d0, x0, w3); d1 = _mm512_dpbusd_epi32(d1, x1, w3); d2 = _mm512_dpbusd_epi32(d2, x2, w3);
                    d3 = _mm512_dpbusd_epi32(d3, x3, w3); d4 = _mm512_dpbusd_epi32(d4, x4, w3); d5 = _mm512_dpbusd_epi32(d5, x5, w3);
                    w += 4;
                }
            }
            float *o = z + block * 4 * z_stride + c * lits_int8_chunk;
            const float *s = scale + block * 4, *t = shift + block * 4;
            store_row(o, s[0], t[0], a0, a1, a2, a3, a4, a5);
            store_row(o + z_stride, s[1], t[1], b0, b1, b2, b3, b4, b5);
            store_row(o + 2 * z_stride, s[2], t[2], c0, c1, c2, c3, c4, c5);
            store_row(o + 3 * z_stride, s[3], t[3], d0, d1, d2, d3, d4, d5);
        }
    }
}

void lits_int8_min_max(const float *src, ptrdiff_t n, float *lo, float *hi) {
    __m512 mn = _mm512_set1_ps(src[0]), mx = mn;
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(src + i);
        mn = _mm512_min_ps(mn, v); mx = _mm512_max_ps(mx, v);
    }
    if (i < n) {
        __mmask16 mask = (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(src[0]), mask, src + i);
        mn = _mm512_min_ps(mn, v); mx = _mm512_max_ps(mx, v);
    }
    *lo = _mm512_reduce_min_ps(mn);
    *hi = _mm512_reduce_max_ps(mx);
}

// One channel's 16 positions quantized to int32 in 0 ... 255 (the zero point for a NULL channel).
static inline __m512i quantize(const float *c, __mmask16 mask, __m512 step, __m512i zp) {
    if (!c) return zp;
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_div_ps(_mm512_maskz_loadu_ps(mask, c), step)), zp);
    return _mm512_min_epi32(_mm512_max_epi32(q, _mm512_setzero_si512()), _mm512_set1_epi32(255));
}

void lits_int8_pack_quads(const float *const c[4], ptrdiff_t n, const float step[4], const int32_t zero_point[4],
                          uint32_t *out) {
    __m512 s[4];
    __m512i zp[4];
    for (int l = 0; l < 4; l++) { s[l] = _mm512_set1_ps(step[l]); zp[l] = _mm512_set1_epi32(zero_point[l]); }
    for (ptrdiff_t i = 0; i < n; i += 16) {
        ptrdiff_t left = n - i;
        __mmask16 mask = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1);
        __m512i v = quantize(c[0] ? c[0] + i : NULL, mask, s[0], zp[0]);
        v = _mm512_or_si512(v, _mm512_slli_epi32(quantize(c[1] ? c[1] + i : NULL, mask, s[1], zp[1]), 8));
        v = _mm512_or_si512(v, _mm512_slli_epi32(quantize(c[2] ? c[2] + i : NULL, mask, s[2], zp[2]), 16));
        v = _mm512_or_si512(v, _mm512_slli_epi32(quantize(c[3] ? c[3] + i : NULL, mask, s[3], zp[3]), 24));
        _mm512_mask_storeu_epi32(out + i, mask, v);
    }
}

#else
// Other CPUs: LiTSNet never calls these (its CPU check fails); stop loudly if something does.
#include <stdlib.h>
void lits_int8_conv_forward(const uint32_t *x, ptrdiff_t quad_stride, ptrdiff_t in_quads, const ptrdiff_t *offsets,
                            const uint32_t *weights, ptrdiff_t output_blocks, ptrdiff_t q0, ptrdiff_t chunks,
                            const float *scale, const float *shift, float *z, ptrdiff_t z_stride) { abort(); }
void lits_int8_min_max(const float *src, ptrdiff_t n, float *lo, float *hi) { abort(); }
void lits_int8_pack_quads(const float *const c[4], ptrdiff_t n, const float step[4], const int32_t zero_point[4],
                          uint32_t *out) { abort(); }
#endif
