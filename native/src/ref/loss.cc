// Scalar reference: per-row losses, softmax cross-entropy (categorical decoders) and mean
// squared error (the T-JEPA latent loss). Plain loops, double accumulation.
#include <cmath>

#include "ref/ops.h"

namespace vj {
namespace ref {

// probs (M, C) = softmax(logits (M, C)) per row; loss (M) = -log probs[target]; target (M)
// in [0, C), checked by the caller
void softmax_ce_forward(float* loss, float* probs, const float* logits, const int32_t* target,
                        const RowDims& d) {
  for (int m = 0; m < d.M; ++m) {
    const float* l = logits + (int64_t)m * d.C;
    float* p = probs + (int64_t)m * d.C;
    const double l_target = l[target[m]];  // read before probs is written (it may alias logits)
    double mx = l[0];
    for (int c = 1; c < d.C; ++c) mx = l[c] > mx ? l[c] : mx;
    double sum = 0.0;
    for (int c = 0; c < d.C; ++c) sum += std::exp(l[c] - mx);
    for (int c = 0; c < d.C; ++c) p[c] = static_cast<float>(std::exp(l[c] - mx) / sum);
    // -log(exp(l[t] - mx) / sum), without rounding probs[t] first
    loss[m] = static_cast<float>(std::log(sum) + mx - l_target);
  }
}

// backward of loss = -log softmax(logits)[target]: dlogits += dloss * (probs - onehot(target))
void softmax_ce_backward(float* dlogits, const float* dloss, const float* probs,
                         const int32_t* target, const RowDims& d) {
  if (!dlogits) return;
  for (int m = 0; m < d.M; ++m) {
    const double g = dloss[m];
    for (int c = 0; c < d.C; ++c) {
      const int64_t i = (int64_t)m * d.C + c;
      dlogits[i] += static_cast<float>(g * ((double)probs[i] - (c == target[m] ? 1.0 : 0.0)));
    }
  }
}

// loss (M) = mean over C of (pred - target)^2; pred, target (M, C)
void mse_forward(float* loss, const float* pred, const float* target, const RowDims& d) {
  for (int m = 0; m < d.M; ++m) {
    double s = 0.0;
    for (int c = 0; c < d.C; ++c) {
      double r = (double)pred[(int64_t)m * d.C + c] - target[(int64_t)m * d.C + c];
      s += r * r;
    }
    loss[m] = static_cast<float>(s / d.C);
  }
}

// backward of loss = mean_c (pred - target)^2: dpred += dloss * 2 (pred - target) / C
void mse_backward(float* dpred, const float* dloss, const float* pred, const float* target,
                  const RowDims& d) {
  if (!dpred) return;
  for (int m = 0; m < d.M; ++m) {
    const double g = 2.0 * dloss[m] / d.C;
    for (int c = 0; c < d.C; ++c) {
      const int64_t i = (int64_t)m * d.C + c;
      dpred[i] += static_cast<float>(g * ((double)pred[i] - target[i]));
    }
  }
}

}  // namespace ref
}  // namespace vj
