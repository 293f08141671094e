// CUDA: per-row losses (ref/loss.cc): softmax cross-entropy and mean squared error. One thread
// per row for the row reductions (C is a class count or a latent width: small), in double.
#include <cmath>

#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

__global__ void softmax_ce_fwd(float* loss, float* probs, const float* logits, const int32_t* target, int M, int C) {
  VJ_GRID_LOOP(m, M) {
    const float* l = logits + m * C;
    float* p = probs + m * C;
    const double l_target = l[target[m]];  // read before probs is written (it may alias logits)
    double mx = l[0];
    for (int c = 1; c < C; ++c) mx = l[c] > mx ? l[c] : mx;
    double sum = 0.0;
    for (int c = 0; c < C; ++c) sum += exp(l[c] - mx);
    for (int c = 0; c < C; ++c) p[c] = static_cast<float>(exp(l[c] - mx) / sum);
    loss[m] = static_cast<float>(log(sum) + mx - l_target);
  }
}
__global__ void softmax_ce_bwd(float* dlogits, const float* dloss, const float* probs, const int32_t* target,
                               int64_t n, int C) {
  VJ_GRID_LOOP(i, n) {
    const int64_t m = i / C;
    const int c = static_cast<int>(i % C);
    dlogits[i] += static_cast<float>(dloss[m] * ((double)probs[i] - (c == target[m] ? 1.0 : 0.0)));
  }
}
__global__ void mse_fwd(float* loss, const float* pred, const float* target, int M, int C) {
  VJ_GRID_LOOP(m, M) {
    double s = 0.0;
    for (int c = 0; c < C; ++c) {
      const double r = (double)pred[m * C + c] - target[m * C + c];
      s += r * r;
    }
    loss[m] = static_cast<float>(s / C);
  }
}
__global__ void mse_bwd(float* dpred, const float* dloss, const float* pred, const float* target, int64_t n, int C) {
  VJ_GRID_LOOP(i, n) {
    const double g = 2.0 * dloss[i / C] / C;
    dpred[i] += static_cast<float>(g * ((double)pred[i] - target[i]));
  }
}

}  // namespace

// probs (M, C) = softmax(logits); loss (M) = -log probs[target]
void softmax_ce_forward(float* loss, float* probs, const float* logits, const int32_t* target, const RowDims& d) {
  if (d.M <= 0) return;
  softmax_ce_fwd<<<blocks_for(d.M, 128), 128, 0, stream()>>>(loss, probs, logits, target, d.M, d.C);
  check_launch("softmax_ce_forward");
}
// dlogits += dloss * (probs - onehot(target))
void softmax_ce_backward(float* dlogits, const float* dloss, const float* probs, const int32_t* target,
                         const RowDims& d) {
  const int64_t n = static_cast<int64_t>(d.M) * d.C;
  if (!dlogits || n <= 0) return;
  softmax_ce_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dlogits, dloss, probs, target, n, d.C);
  check_launch("softmax_ce_backward");
}
// loss (M) = mean over C of (pred - target)^2
void mse_forward(float* loss, const float* pred, const float* target, const RowDims& d) {
  if (d.M <= 0) return;
  mse_fwd<<<blocks_for(d.M, 128), 128, 0, stream()>>>(loss, pred, target, d.M, d.C);
  check_launch("mse_forward");
}
// dpred += dloss * 2 (pred - target) / C
void mse_backward(float* dpred, const float* dloss, const float* pred, const float* target, const RowDims& d) {
  const int64_t n = static_cast<int64_t>(d.M) * d.C;
  if (!dpred || n <= 0) return;
  mse_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dpred, dloss, pred, target, n, d.C);
  check_launch("mse_backward");
}

}  // namespace cuda
}  // namespace vj
