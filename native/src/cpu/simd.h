// The only place SIMD intrinsics appear. Every file in native/src/cpu is compiled twice, once
// with VJ_ISA_AVX2 (AVX2 + FMA, 8 floats) and once with VJ_ISA_AVX512 (16 floats); VJ_NS names
// the namespace each copy lives in (vj::avx2, vj::avx512), so the copies never clash.
// Ops use vf, W and the helpers below, with scalar or masked tails; never raw intrinsics.
// Code in these files must not instantiate std:: templates shared with other files (their
// out-of-line copies would be compiled with these instruction sets): use plain loops.
#pragma once
#include <immintrin.h>
#include <cstdint>

#if defined(VJ_ISA_AVX512)
#define VJ_NS avx512
#elif defined(VJ_ISA_AVX2)
#define VJ_NS avx2
#else
#error "native/src/cpu files are compiled with VJ_ISA_AVX2 or VJ_ISA_AVX512"
#endif

namespace vj {
namespace VJ_NS {
namespace simd {

#if defined(VJ_ISA_AVX512)
constexpr int W = 16;
using vf = __m512;
inline vf zero() { return _mm512_setzero_ps(); }
inline vf set1(float x) { return _mm512_set1_ps(x); }
inline vf load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, vf v) { _mm512_storeu_ps(p, v); }
inline __mmask16 tail_mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
// first n (0 <= n <= W) lanes; the rest read as 0 and are never touched in memory
inline vf load_n(const float* p, int n) { return _mm512_maskz_loadu_ps(tail_mask(n), p); }
inline void store_n(float* p, vf v, int n) { _mm512_mask_storeu_ps(p, tail_mask(n), v); }
inline vf add(vf a, vf b) { return _mm512_add_ps(a, b); }
inline vf sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
inline vf mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
inline vf div(vf a, vf b) { return _mm512_div_ps(a, b); }
inline vf max(vf a, vf b) { return _mm512_max_ps(a, b); }
inline vf min(vf a, vf b) { return _mm512_min_ps(a, b); }
inline vf fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }  // a * b + c
inline vf fnmadd(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }  // c - a * b
inline float reduce_add(vf v) { return _mm512_reduce_add_ps(v); }
inline float reduce_max(vf v) { return _mm512_reduce_max_ps(v); }
// r[i] = row i of a W x W block -> r[j] = column j (used to pack transposed matrices)
inline void transpose(vf r[W]) {
  vf a[16], b[16];
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // b[4i + k], 128-bit lane L: column 4L + k of rows 4i .. 4i + 3
  for (int i = 0; i < 4; ++i) {
    b[4 * i] = _mm512_shuffle_ps(a[4 * i], a[4 * i + 2], 0x44);
    b[4 * i + 1] = _mm512_shuffle_ps(a[4 * i], a[4 * i + 2], 0xEE);
    b[4 * i + 2] = _mm512_shuffle_ps(a[4 * i + 1], a[4 * i + 3], 0x44);
    b[4 * i + 3] = _mm512_shuffle_ps(a[4 * i + 1], a[4 * i + 3], 0xEE);
  }
  for (int k = 0; k < 4; ++k) {
    // 0x88: lanes 0, 2 of each source; 0xDD: lanes 1, 3
    const vf x0 = _mm512_shuffle_f32x4(b[k], b[4 + k], 0x88);
    const vf x1 = _mm512_shuffle_f32x4(b[k], b[4 + k], 0xDD);
    const vf y0 = _mm512_shuffle_f32x4(b[8 + k], b[12 + k], 0x88);
    const vf y1 = _mm512_shuffle_f32x4(b[8 + k], b[12 + k], 0xDD);
    r[k] = _mm512_shuffle_f32x4(x0, y0, 0x88);
    r[4 + k] = _mm512_shuffle_f32x4(x1, y1, 0x88);
    r[8 + k] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
    r[12 + k] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
  }
}
#else
constexpr int W = 8;
using vf = __m256;
inline vf zero() { return _mm256_setzero_ps(); }
inline vf set1(float x) { return _mm256_set1_ps(x); }
inline vf load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, vf v) { _mm256_storeu_ps(p, v); }
inline __m256i tail_mask(int n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}
inline vf load_n(const float* p, int n) { return _mm256_maskload_ps(p, tail_mask(n)); }
inline void store_n(float* p, vf v, int n) { _mm256_maskstore_ps(p, tail_mask(n), v); }
inline vf add(vf a, vf b) { return _mm256_add_ps(a, b); }
inline vf sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
inline vf mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
inline vf div(vf a, vf b) { return _mm256_div_ps(a, b); }
inline vf max(vf a, vf b) { return _mm256_max_ps(a, b); }
inline vf min(vf a, vf b) { return _mm256_min_ps(a, b); }
inline vf fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
inline vf fnmadd(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
inline float reduce_add(vf v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_add_ps(lo, hi);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float reduce_max(vf v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  __m128 s = _mm_max_ps(lo, hi);
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
// r[i] = row i of a W x W block -> r[j] = column j (used to pack transposed matrices)
inline void transpose(vf r[W]) {
  vf a[8], b[8];
  for (int i = 0; i < 4; ++i) {
    a[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // b[4i + k], 128-bit lane L: column 4L + k of rows 4i .. 4i + 3
  for (int i = 0; i < 2; ++i) {
    b[4 * i] = _mm256_shuffle_ps(a[4 * i], a[4 * i + 2], 0x44);
    b[4 * i + 1] = _mm256_shuffle_ps(a[4 * i], a[4 * i + 2], 0xEE);
    b[4 * i + 2] = _mm256_shuffle_ps(a[4 * i + 1], a[4 * i + 3], 0x44);
    b[4 * i + 3] = _mm256_shuffle_ps(a[4 * i + 1], a[4 * i + 3], 0xEE);
  }
  for (int k = 0; k < 4; ++k) {
    r[k] = _mm256_permute2f128_ps(b[k], b[4 + k], 0x20);
    r[4 + k] = _mm256_permute2f128_ps(b[k], b[4 + k], 0x31);
  }
}
#endif

// hint: bring the cache line holding p into L1 (used ahead of loads the prefetchers miss)
inline void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

}  // namespace simd
}  // namespace VJ_NS
}  // namespace vj
