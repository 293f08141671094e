// Fast CPU LayerNorm, compiled per instruction set. Rows are independent and split across
// threads; the weight and bias gradients (sums over rows) are split over column blocks, each
// summing its rows in order, so no result depends on the thread count.
#include <math.h>

#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

static constexpr float kLayerNormEps = 1e-5f;

static inline int64_t row_grain(int C) { return C >= 2048 ? 1 : 2048 / C; }

// out (M, C) = (inp - mean) * rstd * weight + bias; saves mean (M), rstd (M)
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, const RowDims& d) {
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const float* x = inp + m * C;
      vf acc = zero();
      for_lanes(0, C, [&](int64_t c, int k) { acc = add(acc, load_k(x + c, k)); });
      const float mu = reduce_add(acc) / C;
      const vf vmu = set1(mu);
      acc = zero();
      for_lanes(0, C, [&](int64_t c, int k) {
        vf xc = first_n(sub(load_k(x + c, k), vmu), k);  // tail lanes would add mu^2
        acc = fmadd(xc, xc, acc);
      });
      const float rs = 1.0f / sqrtf(reduce_add(acc) / C + kLayerNormEps);
      const vf vrs = set1(rs);
      float* o = out + m * C;
      for_lanes(0, C, [&](int64_t c, int k) {
        vf xhat = mul(sub(load_k(x + c, k), vmu), vrs);
        store_k(o + c, fmadd(xhat, load_k(weight + c, k), load_k(bias + c, k)), k);
      });
      mean[m] = mu;
      rstd[m] = rs;
    }
  });
}

// backward of out = xhat * weight + bias, xhat = (inp - mean) * rstd:
//   dinp += rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)), g = dout * weight
//   dweight += sum_rows dout * xhat;  dbias += sum_rows dout
void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean,
                        const float* rstd, const RowDims& d) {
  const int C = d.C;
  if (dinp) {
    parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
      for (int64_t m = m0; m < m1; ++m) {
        const float* x = inp + m * C;
        const float* go = dout + m * C;
        const vf vmu = set1(mean[m]), vrs = set1(rstd[m]);
        vf sg = zero(), sgx = zero();
        for_lanes(0, C, [&](int64_t c, int k) {
          vf g = mul(load_k(go + c, k), load_k(weight + c, k));  // 0 in tail lanes
          vf xhat = mul(sub(load_k(x + c, k), vmu), vrs);
          sg = add(sg, g);
          sgx = fmadd(g, xhat, sgx);
        });
        const vf g_mean = set1(reduce_add(sg) / C), gx_mean = set1(reduce_add(sgx) / C);
        float* gi = dinp + m * C;
        for_lanes(0, C, [&](int64_t c, int k) {
          vf g = mul(load_k(go + c, k), load_k(weight + c, k));
          vf xhat = mul(sub(load_k(x + c, k), vmu), vrs);
          vf t = fnmadd(xhat, gx_mean, sub(g, g_mean));
          store_k(gi + c, fmadd(vrs, t, load_k(gi + c, k)), k);
        });
      }
    });
  }
  if (dweight || dbias) {
    const int64_t blocks = (C + W - 1) / W;
    parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t c = b * W;
        const int k = C - c < W ? static_cast<int>(C - c) : W;
        vf gw = zero(), gb = zero();
        for (int64_t m = 0; m < d.M; ++m) {
          vf g = load_k(dout + m * C + c, k);
          vf xhat = mul(sub(load_k(inp + m * C + c, k), set1(mean[m])), set1(rstd[m]));
          gw = fmadd(g, xhat, gw);
          gb = add(gb, g);
        }
        if (dweight) store_k(dweight + c, add(load_k(dweight + c, k), gw), k);
        if (dbias) store_k(dbias + c, add(load_k(dbias + c, k), gb), k);
      }
    });
  }
}

}  // namespace VJ_NS
}  // namespace vj
