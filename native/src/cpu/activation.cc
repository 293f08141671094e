// Fast CPU activations, residual add and inverted dropout, compiled per instruction set.
// Elementwise, split across threads in fixed grains (each output is computed alone, so the
// split never changes a result).
#include "cpu/ops.h"
#include "engine/philox.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

static constexpr int64_t kGrain = 8192;

// out (n) = max(inp, 0) (0 for NaN, as the reference)
void relu_forward(float* out, const float* inp, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf x = load_k(inp + i, k);
      store_k(out + i, select(cmp_gt(x, zero()), x, zero()), k);
    });
  });
}

// backward of out = max(inp, 0): dinp += dout where inp > 0
void relu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  if (!dinp) return;
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf g = select(cmp_gt(load_k(inp + i, k), zero()), load_k(dout + i, k), zero());
      store_k(dinp + i, add(load_k(dinp + i, k), g), k);
    });
  });
}

// Phi(x) = 0.5 * (1 + erf(x / sqrt 2)), absolute error below 2e-7
static inline vf norm_cdf(vf x) {
  return mul(set1(0.5f), add(set1(1.0f), erf_approx(mul(x, set1(0.70710678118654752f)))));
}

// exact GELU: out (n) = inp * Phi(inp)
void gelu_forward(float* out, const float* inp, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf x = load_k(inp + i, k);
      store_k(out + i, mul(x, norm_cdf(x)), k);
    });
  });
}

// backward of out = x Phi(x): dinp += dout * (Phi(x) + x phi(x)), phi(x) = exp(-x^2/2)/sqrt(2 pi)
void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  if (!dinp) return;
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf x = load_k(inp + i, k);
      vf pdf = mul(set1(0.39894228040143268f), exp_approx(mul(set1(-0.5f), mul(x, x))));
      vf dx = fmadd(x, pdf, norm_cdf(x));
      store_k(dinp + i, fmadd(load_k(dout + i, k), dx, load_k(dinp + i, k)), k);
    });
  });
}

// out (n) = a + b
void add_forward(float* out, const float* a, const float* b, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for_lanes(i0, i1, [&](int64_t i, int k) {
      store_k(out + i, add(load_k(a + i, k), load_k(b + i, k)), k);
    });
  });
}

// backward of out = a + b: da += dout, db += dout
void add_backward(float* da, float* db, const float* dout, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for_lanes(i0, i1, [&](int64_t i, int k) {
      vf g = load_k(dout + i, k);
      if (da) store_k(da + i, add(load_k(da + i, k), g), k);
      if (db) store_k(db + i, add(load_k(db + i, k), g), k);
    });
  });
}

// inverted dropout: mask (n) from vj::dropout_mask (the same function as the reference, compiled
// for baseline x86-64, so masks are bit-identical on every backend), out = inp * mask / (1 - p)
void dropout_forward(float* out, uint8_t* mask, const float* inp, float p, uint64_t seed,
                     uint64_t offset, int64_t n) {
  const float scale = 1.0f / (1.0f - p);
  dropout_mask(mask, n, p, seed, offset, true);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf m = k == W ? load_u8(mask + i) : load_u8_n(mask + i, k);
      store_k(out + i, mul(load_k(inp + i, k), mul(m, set1(scale))), k);
    });
  });
}

// backward of out = inp * mask / (1 - p): dinp += dout * mask / (1 - p)
void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, float p, int64_t n) {
  if (!dinp) return;
  const float scale = 1.0f / (1.0f - p);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf m = k == W ? load_u8(mask + i) : load_u8_n(mask + i, k);
      store_k(dinp + i, fmadd(load_k(dout + i, k), mul(m, set1(scale)), load_k(dinp + i, k)), k);
    });
  });
}

}  // namespace VJ_NS
}  // namespace vj
