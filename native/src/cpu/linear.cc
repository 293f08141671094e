// Fast CPU linear layer (matmul + bias), compiled per instruction set.
#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

static inline float dot(const float* a, const float* b, int n) {
  vf acc = zero();
  int i = 0;
  for (; i + W <= n; i += W) acc = fmadd(load(a + i), load(b + i), acc);
  if (i < n) acc = fmadd(load_n(a + i, n - i), load_n(b + i, n - i), acc);
  return reduce_add(acc);
}

// out (M, N) = inp (M, K) . weight (N, K)^T + bias (N)
void linear_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const MatDims& d) {
  parallel_for(d.M, 16, [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m)
      for (int n = 0; n < d.N; ++n)
        out[m * d.N + n] = dot(inp + m * d.K, weight + (int64_t)n * d.K, d.K) + (bias ? bias[n] : 0.f);
  });
}

// dinp += dout . weight; dweight += dout^T . inp; dbias += column sums of dout
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, const MatDims& d) {
  if (dinp) {
    parallel_for(d.M, 16, [&](int64_t m0, int64_t m1) {
      for (int64_t m = m0; m < m1; ++m)
        for (int n = 0; n < d.N; ++n) {
          vf g = set1(dout[m * d.N + n]);
          const float* w = weight + (int64_t)n * d.K;
          float* o = dinp + m * d.K;
          int k = 0;
          for (; k + W <= d.K; k += W) store(o + k, fmadd(g, load(w + k), load(o + k)));
          if (k < d.K) store_n(o + k, fmadd(g, load_n(w + k, d.K - k), load_n(o + k, d.K - k)), d.K - k);
        }
    });
  }
  if (dweight || dbias) {
    parallel_for(d.N, 1, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) {
        float bsum = 0.f;
        for (int64_t m = 0; m < d.M; ++m) {
          float g = dout[m * d.N + n];
          bsum += g;
          if (dweight) {
            vf gv = set1(g);
            const float* x = inp + m * d.K;
            float* o = dweight + n * d.K;
            int k = 0;
            for (; k + W <= d.K; k += W) store(o + k, fmadd(gv, load(x + k), load(o + k)));
            if (k < d.K) store_n(o + k, fmadd(gv, load_n(x + k, d.K - k), load_n(o + k, d.K - k)), d.K - k);
          }
        }
        if (dbias) dbias[n] += bsum;
      }
    });
  }
}

}  // namespace VJ_NS
}  // namespace vj
