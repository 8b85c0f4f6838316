// See include/CInt8KernelsAVXVNNI.h. A target of its own, built without any AVX-512 flag (in
// CInt8Kernels, whose flags enable AVX-512, clang put EVEX instructions and ymm16-31 into these
// functions), each function naming the ISA it needs: only VEX-encoded code, which an AVX-VNNI
// CPU without AVX-512 runs.
// Register blocking: 4 output channels x 2 vectors = 8 int32 accumulators, 2 registers for the
// loaded positions, 1 for the broadcast weight quad; a 96-position chunk is done as 6 parts of
// 16. (4 x 3 would need all 16 ymm registers: clang spilled an accumulator, 1.6x slower.)
// Each vpdpbusd does 32 multiply-adds (8 lanes x 4 bytes).
#include "CInt8KernelsAVXVNNI.h"

// Padded positions per chunk, as lits_int8_chunk in CInt8Kernels.h (the layout is shared).
enum { lits_int8_chunk_avxvnni = 96 };

#if defined(__x86_64__)
#include <immintrin.h>

#define LITS_AVXVNNI __attribute__((target("avx,avx2,fma,avxvnni")))
#define LITS_AVX2 __attribute__((target("avx,avx2,fma")))

// One output channel's 16 sums dequantized into o (the AVX-512 kernel's fused multiply-add).
static inline LITS_AVXVNNI void store_row(float *o, float scale, float shift, __m256i v0, __m256i v1) {
    __m256 s = _mm256_set1_ps(scale), t = _mm256_set1_ps(shift);
    _mm256_storeu_ps(o, _mm256_fmadd_ps(_mm256_cvtepi32_ps(v0), s, t));
    _mm256_storeu_ps(o + 8, _mm256_fmadd_ps(_mm256_cvtepi32_ps(v1), s, t));
}

LITS_AVXVNNI void lits_int8_conv_forward_avxvnni(const uint32_t *x, ptrdiff_t quad_stride, ptrdiff_t in_quads,
                                                 const ptrdiff_t *offsets, const uint32_t *weights,
                                                 ptrdiff_t output_blocks, ptrdiff_t q0, ptrdiff_t chunks,
                                                 const float *scale, const float *shift, float *z,
                                                 ptrdiff_t z_stride) {
    for (ptrdiff_t c = 0; c < chunks; c++) {
        for (ptrdiff_t block = 0; block < output_blocks; block++) {
            for (ptrdiff_t part = 0; part < lits_int8_chunk_avxvnni; part += 16) {
                const uint32_t *start = x + q0 + c * lits_int8_chunk_avxvnni + part;
                __m256i a0 = _mm256_setzero_si256(), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
                const uint32_t *w = weights + block * in_quads * 27 * 4;
                for (ptrdiff_t p = 0; p < in_quads; p++) {
                    const uint32_t *channel = start + p * quad_stride;
                    for (int k = 0; k < 27; k++) {
                        const uint32_t *q = channel + offsets[k];
                        __m256i x0 = _mm256_loadu_si256((const __m256i *)q);
                        __m256i x1 = _mm256_loadu_si256((const __m256i *)(q + 8));
                        __m256i v = _mm256_set1_epi32((int)w[0]);
                        a0 = _mm256_dpbusd_avx_epi32(a0, x0, v); a1 = _mm256_dpbusd_avx_epi32(a1, x1, v);
                        v = _mm256_set1_epi32((int)w[1]);
                        b0 = _mm256_dpbusd_avx_epi32(b0, x0, v); b1 = _mm256_dpbusd_avx_epi32(b1, x1, v);
                        v = _mm256_set1_epi32((int)w[2]);
                        c0 = _mm256_dpbusd_avx_epi32(c0, x0, v); c1 = _mm256_dpbusd_avx_epi32(c1, x1, v);
                        v = _mm256_set1_epi32((int)w[3]);
                        d0 = _mm256_dpbusd_avx_epi32(d0, x0, v); d1 = _mm256_dpbusd_avx_epi32(d1, x1, v);
                        w += 4;
                    }
                }
                float *o = z + block * 4 * z_stride + c * lits_int8_chunk_avxvnni + part;
                const float *s = scale + block * 4, *t = shift + block * 4;
                store_row(o, s[0], t[0], a0, a1);
                store_row(o + z_stride, s[1], t[1], b0, b1);
                store_row(o + 2 * z_stride, s[2], t[2], c0, c1);
                store_row(o + 3 * z_stride, s[3], t[3], d0, d1);
            }
        }
    }
}

LITS_AVX2 void lits_int8_min_max_avx2(const float *src, ptrdiff_t n, float *lo, float *hi) {
    __m256 mn = _mm256_set1_ps(src[0]), mx = mn;
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(src + i);
        mn = _mm256_min_ps(mn, v); mx = _mm256_max_ps(mx, v);
    }
    float l[8], h[8];
    _mm256_storeu_ps(l, mn); _mm256_storeu_ps(h, mx);
    float a = l[0], b = h[0];
    for (int j = 1; j < 8; j++) { a = l[j] < a ? l[j] : a; b = h[j] > b ? h[j] : b; }
    for (; i < n; i++) { a = src[i] < a ? src[i] : a; b = src[i] > b ? src[i] : b; }
    *lo = a; *hi = b;
}

// One channel's 8 positions (the first `left` of them) quantized to int32 in 0 ... 255, as the
// AVX-512 version: the same division and round-to-nearest-even conversion.
static inline LITS_AVX2 __m256i quantize(const float *c, __m256i mask, __m256 step, __m256i zp) {
    if (!c) return zp;
    __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_div_ps(_mm256_maskload_ps(c, mask), step)), zp);
    return _mm256_min_epi32(_mm256_max_epi32(q, _mm256_setzero_si256()), _mm256_set1_epi32(255));
}

LITS_AVX2 void lits_int8_pack_quads_avx2(const float *const c[4], ptrdiff_t n, const float step[4],
                                         const int32_t zero_point[4], uint32_t *out) {
    __m256 s[4];
    __m256i zp[4];
    for (int l = 0; l < 4; l++) { s[l] = _mm256_set1_ps(step[l]); zp[l] = _mm256_set1_epi32(zero_point[l]); }
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (ptrdiff_t i = 0; i < n; i += 8) {
        ptrdiff_t left = n - i;
        __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left >= 8 ? 8 : (int)left), lanes);
        __m256i v = quantize(c[0] ? c[0] + i : NULL, mask, s[0], zp[0]);
        v = _mm256_or_si256(v, _mm256_slli_epi32(quantize(c[1] ? c[1] + i : NULL, mask, s[1], zp[1]), 8));
        v = _mm256_or_si256(v, _mm256_slli_epi32(quantize(c[2] ? c[2] + i : NULL, mask, s[2], zp[2]), 16));
        v = _mm256_or_si256(v, _mm256_slli_epi32(quantize(c[3] ? c[3] + i : NULL, mask, s[3], zp[3]), 24));
        _mm256_maskstore_epi32((int *)(out + i), mask, v);
    }
}

#else
// Other CPUs: LiTSNet never calls these (its CPU check fails); stop loudly if something does.
#include <stdlib.h>
void lits_int8_conv_forward_avxvnni(const uint32_t *x, ptrdiff_t quad_stride, ptrdiff_t in_quads,
                                    const ptrdiff_t *offsets, const uint32_t *weights, ptrdiff_t output_blocks,
                                    ptrdiff_t q0, ptrdiff_t chunks, const float *scale, const float *shift,
                                    float *z, ptrdiff_t z_stride) { abort(); }
void lits_int8_min_max_avx2(const float *src, ptrdiff_t n, float *lo, float *hi) { abort(); }
void lits_int8_pack_quads_avx2(const float *const c[4], ptrdiff_t n, const float step[4], const int32_t zero_point[4],
                               uint32_t *out) { abort(); }
#endif
