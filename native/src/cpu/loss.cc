// Fast CPU per-row losses, compiled per instruction set: softmax cross-entropy (categorical
// decoders) and mean squared error (T-JEPA latent loss). Rows are split across threads.
#include <math.h>

#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

static inline int64_t row_grain(int C) { return C >= 2048 ? 1 : 2048 / C; }

// probs (M, C) = softmax(logits (M, C)) per row; loss (M) = -log probs[target]; target (M)
// in [0, C), checked by the caller
void softmax_ce_forward(float* loss, float* probs, const float* logits, const int32_t* target,
                        const RowDims& d) {
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const float* l = logits + m * C;
      float* p = probs + m * C;
      const float l_target = l[target[m]];  // read before probs is written (it may alias logits)
      vf vmax = set1(l[0]);
      for_lanes(0, C, [&](int64_t c, int k) { vmax = max(vmax, first_n_or(load_k(l + c, k), k, vmax)); });
      const float mx = reduce_max(vmax);
      vf sum = zero();
      for_lanes(0, C, [&](int64_t c, int k) {
        vf e = first_n(exp_approx(sub(load_k(l + c, k), set1(mx))), k);
        store_k(p + c, e, k);
        sum = add(sum, e);
      });
      const float s = reduce_add(sum);
      const vf inv = set1(1.0f / s);
      for_lanes(0, C, [&](int64_t c, int k) { store_k(p + c, mul(load_k(p + c, k), inv), k); });
      // -log(exp(l[t] - mx) / s), without rounding probs[t] first
      loss[m] = logf(s) + (mx - l_target);
    }
  });
}

// backward of loss = -log softmax(logits)[target]: dlogits += dloss * (probs - onehot(target))
void softmax_ce_backward(float* dlogits, const float* dloss, const float* probs,
                         const int32_t* target, const RowDims& d) {
  if (!dlogits) return;
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      float* dl = dlogits + m * C;
      const float* p = probs + m * C;
      const float g = dloss[m];
      const int t = target[m];
      const float at_target = dl[t] + g * (p[t] - 1.0f);
      const vf vg = set1(g);
      for_lanes(0, C, [&](int64_t c, int k) { store_k(dl + c, fmadd(vg, load_k(p + c, k), load_k(dl + c, k)), k); });
      dl[t] = at_target;
    }
  });
}

// loss (M) = mean over C of (pred - target)^2; pred, target (M, C)
void mse_forward(float* loss, const float* pred, const float* target, const RowDims& d) {
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const float* x = pred + m * C;
      const float* y = target + m * C;
      vf acc = zero();
      for_lanes(0, C, [&](int64_t c, int k) {
        vf r = sub(load_k(x + c, k), load_k(y + c, k));  // 0 in tail lanes
        acc = fmadd(r, r, acc);
      });
      loss[m] = reduce_add(acc) / C;
    }
  });
}

// backward of loss = mean_c (pred - target)^2: dpred += dloss * 2 (pred - target) / C
void mse_backward(float* dpred, const float* dloss, const float* pred, const float* target,
                  const RowDims& d) {
  if (!dpred) return;
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const vf g = set1(2.0f * dloss[m] / C);
      const int64_t r = m * C;
      for_lanes(0, C, [&](int64_t c, int k) {
        vf diff = sub(load_k(pred + r + c, k), load_k(target + r + c, k));
        store_k(dpred + r + c, fmadd(g, diff, load_k(dpred + r + c, k)), k);
      });
    }
  });
}

}  // namespace VJ_NS
}  // namespace vj
