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
// keep != 0 ? a : b, lane by lane (keep holds 1.0 or 0.0: key masks, padded tails)
inline vf select_nz(vf keep, vf a, vf b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(keep, _mm512_setzero_ps(), _CMP_NEQ_OQ), b, a);
}
inline vf round_nearest(vf v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// 2^n for integral n in [-126, 127] (built in the exponent field)
inline vf pow2_int(vf n) {
  __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
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
inline vf select_nz(vf keep, vf a, vf b) {
  return _mm256_blendv_ps(b, a, _mm256_cmp_ps(keep, _mm256_setzero_ps(), _CMP_NEQ_OQ));
}
inline vf round_nearest(vf v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline vf pow2_int(vf n) {
  __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
#endif

// e^x, lane by lane, relative error below 2e-7 for x in [-87.3, 88]; x is clamped to that range
// (e^-inf gives 1.2e-38, not 0: callers that need exact zeros select them; NaN stays NaN).
// Range reduction x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two so n ln2 is exact), the
// degree-7 Taylor polynomial of e^r (truncation error 5e-9), and 2^n from the exponent field.
inline vf vexp(vf x) {
  x = max(set1(-87.3f), min(set1(88.0f), x));  // constant first: a NaN x stays NaN
  vf n = round_nearest(mul(x, set1(1.44269504088896341f)));
  vf r = fnmadd(n, set1(0.693359375f), x);
  r = fnmadd(n, set1(-2.12194440e-4f), r);
  vf p = set1(1.f / 5040.f);
  p = fmadd(p, r, set1(1.f / 720.f));
  p = fmadd(p, r, set1(1.f / 120.f));
  p = fmadd(p, r, set1(1.f / 24.f));
  p = fmadd(p, r, set1(1.f / 6.f));
  p = fmadd(p, r, set1(0.5f));
  p = fmadd(p, r, set1(1.f));
  p = fmadd(p, r, set1(1.f));
  return mul(p, pow2_int(n));
}

}  // namespace simd
}  // namespace VJ_NS
}  // namespace vj
