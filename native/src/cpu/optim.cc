// Fast CPU optimiser ops on flat arenas (docs/model.md, section 6) and the T-JEPA EMA target encoder
// (section 10), compiled per instruction set. Elementwise ops split the arena over threads;
// sum_squares sums fixed chunks in a fixed order, so no result depends on the thread count.
#include <cmath>

#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

static constexpr int64_t kGrain = 1 << 14;  // elements per thread task in elementwise ops

// AdamW (decoupled weight decay), params, m, v, grads, decay (n); decay null = no decay:
//   p -= lr * wd * p                         where decay[i] = 1
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
//   p -= lr * (m / bc1) / (sqrt(v / bc2) + eps),  bc1 = 1 - beta1^step, bc2 = 1 - beta2^step
void adamw_update(float* params, float* m, float* v, const float* grads, const uint8_t* decay,
                  const AdamwHparams& h, int64_t n) {
  // bias corrections once per call, in double
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  const float inv_bc1 = static_cast<float>(1.0 / bc1), inv_bc2 = static_cast<float>(1.0 / bc2);
  const float lr_wd = static_cast<float>(static_cast<double>(h.lr) * h.weight_decay);
  const float c1 = static_cast<float>(1.0 - h.beta1), c2 = static_cast<float>(1.0 - h.beta2);
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    const vf lr = set1(h.lr), lrwd = set1(lr_wd), eps = set1(h.eps), one = set1(1.f);
    const vf b1 = set1(h.beta1), b2 = set1(h.beta2), k1 = set1(c1), k2 = set1(c2);
    const vf ib1 = set1(inv_bc1), ib2 = set1(inv_bc2);
    for (int64_t i = i0; i < i1; i += W) {
      const int len = i1 - i < W ? static_cast<int>(i1 - i) : W;
      const bool full = len == W;
      vf p = full ? load(params + i) : load_n(params + i, len);
      const vf g = full ? load(grads + i) : load_n(grads + i, len);
      vf mi = full ? load(m + i) : load_n(m + i, len);
      vf vi = full ? load(v + i) : load_n(v + i, len);
      if (decay) {
        // decay flag as 0 or 1 (any nonzero byte counts as 1)
        const vf dec = min(full ? load_u8(decay + i) : load_u8_n(decay + i, len), one);
        p = fnmadd(mul(lrwd, dec), p, p);
      }
      mi = fmadd(b1, mi, mul(k1, g));
      vi = fmadd(b2, vi, mul(mul(k2, g), g));
      const vf step = div(mul(mi, ib1), add(sqrt(mul(vi, ib2)), eps));
      p = fnmadd(lr, step, p);
      if (full) {
        store(params + i, p);
        store(m + i, mi);
        store(v + i, vi);
      } else {
        store_n(params + i, p, len);
        store_n(m + i, mi, len);
        store_n(v + i, vi, len);
      }
    }
  });
}

// sum of x^2 over one chunk, in float with four accumulators
static float chunk_sum_squares(const float* x, int n) {
  vf a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
  int i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    const vf x0 = load(x + i), x1 = load(x + i + W), x2 = load(x + i + 2 * W), x3 = load(x + i + 3 * W);
    a0 = fmadd(x0, x0, a0);
    a1 = fmadd(x1, x1, a1);
    a2 = fmadd(x2, x2, a2);
    a3 = fmadd(x3, x3, a3);
  }
  for (; i + W <= n; i += W) {
    const vf xi = load(x + i);
    a0 = fmadd(xi, xi, a0);
  }
  if (i < n) {
    const vf xi = load_n(x + i, n - i);
    a1 = fmadd(xi, xi, a1);
  }
  return reduce_add(add(add(a0, a1), add(a2, a3)));
}

// sum over x (n) of x^2: fixed chunks of kChunk elements, each summed in float, the chunk sums
// added in double in chunk order (kGroup chunks at a time, so the scratch lives on the stack)
double sum_squares(const float* x, int64_t n) {
  constexpr int64_t kChunk = 4096;
  constexpr int64_t kGroup = 256;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  double total = 0.0;
  for (int64_t g0 = 0; g0 < chunks; g0 += kGroup) {
    const int64_t gn = chunks - g0 < kGroup ? chunks - g0 : kGroup;
    float partial[kGroup];
    parallel_for(gn, 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t begin = (g0 + k) * kChunk;
        const int64_t len = n - begin < kChunk ? n - begin : kChunk;
        partial[k] = chunk_sum_squares(x + begin, static_cast<int>(len));
      }
    });
    for (int64_t k = 0; k < gn; ++k) total += partial[k];
  }
  return total;
}

// x (n) *= s
void scale_inplace(float* x, float s, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    const vf sv = set1(s);
    int64_t i = i0;
    for (; i + W <= i1; i += W) store(x + i, mul(load(x + i), sv));
    if (i < i1) {
      const int len = static_cast<int>(i1 - i);
      store_n(x + i, mul(load_n(x + i, len), sv), len);
    }
  });
}

// target (n) = momentum * target + (1 - momentum) * source (n)
void ema_update(float* target, const float* source, float momentum, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    const vf mo = set1(momentum), rest = set1(1.f - momentum);
    int64_t i = i0;
    for (; i + W <= i1; i += W) store(target + i, fmadd(mo, load(target + i), mul(rest, load(source + i))));
    if (i < i1) {
      const int len = static_cast<int>(i1 - i);
      store_n(target + i, fmadd(mo, load_n(target + i, len), mul(rest, load_n(source + i, len))), len);
    }
  });
}

}  // namespace VJ_NS
}  // namespace vj
