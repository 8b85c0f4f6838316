// Peak of vdpbf16ps (AVX512_BF16) against fp32 FMA on one core: 16 independent accumulator
// chains each, all in registers, then one dependent chain each (latency). Why: it decides
// whether the bf16 convolution kernels (Sources/CBF16Kernels) can beat the fp32 ones at all.
//   clang -O2 -march=sapphirerapids benchmarks/peak/bf16_fma_peak.c -o /tmp/bf16_fma_peak
//   flock /tmp/litskit-bench.lock /tmp/bf16_fma_peak
// Results: benchmarks/constants.md ("bf16 vs fp32 peak").
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define R16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
int main(int argc,char**argv){
#define D(i) __m512 a##i=_mm512_set1_ps(i*1e-3f);
 R16(D)
 __m512bh x=(__m512bh)_mm512_set1_epi32(0x3f803f80), y=(__m512bh)_mm512_set1_epi32(0x3f803f80);
 __m512 xf=_mm512_set1_ps(1.0f), yf=_mm512_set1_ps(0.999f);
 long N=50000000;
 for(int r=0;r<3;r++){
 double t=now(); for(long i=0;i<N;i++){
#define B(i) a##i=_mm512_dpbf16_ps(a##i,x,y);
 R16(B) } double tb=now()-t;
 t=now(); for(long i=0;i<N;i++){
#define F(i) a##i=_mm512_fmadd_ps(a##i,xf,yf);
 R16(F) } double tf=now()-t;
#define S(i) +_mm512_reduce_add_ps(a##i)
 float s=0 R16(S);
 printf("bf16 %.1f GFLOP/s fp32 %.1f GFLOP/s ratio %.2f (%g)\n", N*16*64.0/tb/1e9, N*16*32.0/tf/1e9, (N*16*64.0/tb)/(N*16*32.0/tf), s);}

 {  // one dependent chain each: latency
  __m512 p = _mm512_set1_ps(1e-3f), q = p;
  long M = 100000000;
  double t = now(); for (long i = 0; i < M; i++) p = _mm512_dpbf16_ps(p, x, y); double tb = now() - t;
  t = now(); for (long i = 0; i < M; i++) q = _mm512_fmadd_ps(q, xf, yf); double tf = now() - t;
  printf("latency bf16/fma %.2f (ns per op: bf16 %.2f, fma %.2f) %g\n", tb / tf, tb / M * 1e9, tf / M * 1e9,
         _mm512_reduce_add_ps(p) + _mm512_reduce_add_ps(q));
 }
}
