// The only place SIMD intrinsics appear. Every file in native/src/cpu is compiled twice, once
// with VJ_ISA_AVX2 (AVX2 + FMA, 8 floats) and once with VJ_ISA_AVX512 (16 floats); VJ_NS names
// the namespace each copy lives in (vj::avx2, vj::avx512), so the copies never clash.
// Ops use vf, W and the helpers below, with scalar or masked tails; never raw intrinsics.
// Code in these files must not instantiate std:: templates shared with other files (their
// out-of-line copies would be compiled with these instruction sets): use plain loops.
#pragma once
// GCC 12 reports the AVX-512 intrinsics' own "undefined" operands (__Y = __Y) as uninitialised
// when they are inlined into loops (GCC bug 105593, fixed in 12.3); the warning is about the
// header, not about our code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
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
inline vf abs(vf a) { return _mm512_abs_ps(a); }
// lane masks from ordered comparisons (false where either side is NaN)
using vm = __mmask16;
inline vm cmp_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
inline vm cmp_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
inline vm cmp_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
inline vm mask_and(vm a, vm b) { return static_cast<vm>(a & b); }
inline vf select(vm m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }  // m ? a : b
inline vf round_nearest(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// a * 2^n for integral n in [-252, 254] (exact unless the result is subnormal or overflows)
inline vf scale_pow2(vf a, vf n) { return _mm512_scalef_ps(a, n); }
// lanes below n (0 <= n <= W) from a, the rest from b
inline vf first_n_or(vf a, int n, vf b) { return _mm512_mask_blend_ps(tail_mask(n), b, a); }
// keep != 0 ? a : b, lane by lane (keep holds 1.0 or 0.0: key masks, padded tails)
inline vf select_nz(vf keep, vf a, vf b) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(keep, _mm512_setzero_ps(), _CMP_NEQ_OQ), b, a);
}
// 2^n for integral n in [-126, 127] (built in the exponent field)
inline vf pow2_int(vf n) {
  __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}
// r[0..15] <- its transpose, in registers: 32-bit then 64-bit unpacks within 128-bit lanes,
// then two rounds of 128-bit lane shuffles
inline void transpose_regs(vf* r) {
  vf t[16], u[16];
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  for (int k = 0; k < 4; ++k) {
    const __m512d a = _mm512_castps_pd(t[4 * k]), b = _mm512_castps_pd(t[4 * k + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * k + 2]), d = _mm512_castps_pd(t[4 * k + 3]);
    u[4 * k] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[4 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[4 * k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[4 * k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // u[4k + m], 128-bit lane l, holds column 4l + m of rows 4k .. 4k+3
  for (int m = 0; m < 4; ++m) {
    const vf x0 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x44);
    const vf x1 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xEE);
    const vf y0 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x44);
    const vf y1 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xEE);
    r[m] = _mm512_shuffle_f32x4(x0, y0, 0x88);
    r[4 + m] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
    r[8 + m] = _mm512_shuffle_f32x4(x1, y1, 0x88);
    r[12 + m] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
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
inline vf abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
// lane masks from ordered comparisons (false where either side is NaN)
using vm = __m256;
inline vm cmp_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
inline vm cmp_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
inline vm cmp_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
inline vm mask_and(vm a, vm b) { return _mm256_and_ps(a, b); }
inline vf select(vm m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }  // m ? a : b
inline vf round_nearest(vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// a * 2^n for integral n in [-252, 254] (exact unless the result is subnormal or overflows):
// two steps of 2^(n/2) so each factor is a normal float, the same rounding as AVX-512 scalef
inline vf scale_pow2(vf a, vf n) {
  __m256i ni = _mm256_cvtps_epi32(n);
  __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  vf p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  vf p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(a, p1), p2);
}
// lanes below n (0 <= n <= W) from a, the rest from b
inline vf first_n_or(vf a, int n, vf b) { return _mm256_blendv_ps(b, a, _mm256_castsi256_ps(tail_mask(n))); }
// keep != 0 ? a : b, lane by lane (keep holds 1.0 or 0.0: key masks, padded tails)
inline vf select_nz(vf keep, vf a, vf b) {
  return _mm256_blendv_ps(b, a, _mm256_cmp_ps(keep, _mm256_setzero_ps(), _CMP_NEQ_OQ));
}
inline vf pow2_int(vf n) {
  __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
// r[0..7] <- its transpose, in registers
inline void transpose_regs(vf* r) {
  vf t[8], u[8];
  for (int k = 0; k < 4; ++k) {
    t[2 * k] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  for (int k = 0; k < 2; ++k) {
    u[4 * k] = _mm256_shuffle_ps(t[4 * k], t[4 * k + 2], 0x44);
    u[4 * k + 1] = _mm256_shuffle_ps(t[4 * k], t[4 * k + 2], 0xEE);
    u[4 * k + 2] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0x44);
    u[4 * k + 3] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], 0xEE);
  }
  for (int m = 0; m < 4; ++m) {
    r[m] = _mm256_permute2f128_ps(u[m], u[4 + m], 0x20);
    r[4 + m] = _mm256_permute2f128_ps(u[m], u[4 + m], 0x31);
  }
}
#endif

// ---- loops with a masked tail ---------------------------------------------------------------

// k (1 <= k <= W) lanes; with k == W a plain load/store (constant-folded in for_lanes' main loop)
inline vf load_k(const float* p, int k) { return k == W ? load(p) : load_n(p, k); }
inline void store_k(float* p, vf v, int k) {
  if (k == W) store(p, v); else store_n(p, v, k);
}
inline vf first_n(vf a, int n) { return first_n_or(a, n, zero()); }  // the other lanes 0

// f(i, k) for the vectors of [b, e): k == W in the main loop, then one tail with k < W
template <class F>
inline void for_lanes(int64_t b, int64_t e, F&& f) {
  int64_t i = b;
  for (; i + W <= e; i += W) f(i, W);
  if (i < e) f(i, static_cast<int>(e - i));
}

// ---- transcendental approximations (the same arithmetic on both instruction sets) ----------

// exp(x), within 2 ulp of expf for x in [-87.3, 88.7]. Range reduction x = n ln2 + r with
// |r| <= ln2 / 2, then the Taylor series of exp(r) to degree 7 (truncation < 6e-9 relative).
// Inputs are clamped to [-104, 88.7228]: below, the result is 0 or a tiny subnormal; above it
// saturates near FLT_MAX instead of +inf. NaN stays NaN.
inline vf exp_approx(vf x) {
  x = min(set1(88.7228f), max(set1(-104.0f), x));  // x second: NaN passes through
  vf n = round_nearest(mul(x, set1(1.44269504088896341f)));
  vf r = fnmadd(n, set1(0.693145751953125f), x);  // ln2 split into an exact high part
  r = fnmadd(n, set1(1.42860682030941723e-6f), r);  // and the rest
  vf p = set1(1.0f / 5040.0f);
  p = fmadd(p, r, set1(1.0f / 720.0f));
  p = fmadd(p, r, set1(1.0f / 120.0f));
  p = fmadd(p, r, set1(1.0f / 24.0f));
  p = fmadd(p, r, set1(1.0f / 6.0f));
  p = fmadd(p, r, set1(0.5f));
  p = fmadd(p, r, set1(1.0f));
  p = fmadd(p, r, set1(1.0f));
  return scale_pow2(p, n);
}

// erf(x) with absolute error below 3e-7: Abramowitz and Stegun 7.1.26 for |x|,
// 1 - (a1 t + ... + a5 t^5) exp(-x^2) with t = 1 / (1 + p |x|), then the sign of x.
inline vf erf_approx(vf x) {
  vf z = abs(x);
  vf t = div(set1(1.0f), fmadd(set1(0.3275911f), z, set1(1.0f)));
  vf q = set1(1.061405429f);
  q = fmadd(q, t, set1(-1.453152027f));
  q = fmadd(q, t, set1(1.421413741f));
  q = fmadd(q, t, set1(-0.284496736f));
  q = fmadd(q, t, set1(0.254829592f));
  q = mul(q, t);
  vf y = fnmadd(q, exp_approx(mul(z, sub(zero(), z))), set1(1.0f));
  return select(cmp_lt(x, zero()), sub(zero(), y), y);
}
// ---- square root and uint8 flags read as floats (optim.cc) ----------------------------------
#if defined(VJ_ISA_AVX512)
inline vf sqrt(vf a) { return _mm512_sqrt_ps(a); }
// W bytes p[0..W) as floats 0..255
inline vf load_u8(const uint8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
// first n (0 <= n <= W) bytes as floats, the rest 0; bytes past n are never read
inline vf load_u8_n(const uint8_t* p, int n) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(tail_mask(n), p)));
}
#else
inline vf sqrt(vf a) { return _mm256_sqrt_ps(a); }
inline vf load_u8(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
inline vf load_u8_n(const uint8_t* p, int n) {
  alignas(8) uint8_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < n; ++i) tmp[i] = p[i];
  return load_u8(tmp);
}
#endif

// Transposes a tile of `rows` x `cols` (both <= W) from src (row stride src_stride) into dst:
// writes `cols` rows of W floats (dst row stride dst_stride), lanes past `rows` set to 0.
inline void transpose_tile(float* dst, int64_t dst_stride, const float* src, int64_t src_stride,
                           int rows, int cols) {
  vf r[W];
  for (int i = 0; i < W; ++i)
    r[i] = i >= rows   ? zero()
           : cols == W ? load(src + i * src_stride)
                       : load_n(src + i * src_stride, cols);
  transpose_regs(r);
  for (int c = 0; c < cols; ++c) store(dst + c * dst_stride, r[c]);
}

// e^x, lane by lane, relative error below 1e-7 for x in [-87.3, 88]; x is clamped to that range
// (measured 7.9e-8 on a dense sweep); e^-inf gives 1.2e-38, not 0 (callers that need exact
// zeros select them); NaN stays NaN.
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
// hint: bring the cache line holding p into L1 (used ahead of loads the prefetchers miss)
inline void prefetch(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

}  // namespace simd
}  // namespace VJ_NS
}  // namespace vj
