// CUDA: the Gaussian pieces of the loss (ref/gaussian.cc): log-variance clamp, reparameterised
// sampling, the two closed-form KLs (one thread per row, summed over C in order, in double) and
// the Gaussian likelihood with one global log-variance (its gradient summed over fixed chunks).
#include <cmath>

#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

constexpr double kLog2Pi = 1.83787706640934548356;
constexpr int kChunk = 1024;

__global__ void clamp_fwd(float* out, const float* inp, float lo, float hi, int64_t n) {
  VJ_GRID_LOOP(i, n) out[i] = inp[i] < lo ? lo : (inp[i] > hi ? hi : inp[i]);
}
__global__ void clamp_bwd(float* dinp, const float* dout, const float* inp, float lo, float hi, int64_t n) {
  VJ_GRID_LOOP(i, n) if (inp[i] > lo && inp[i] < hi) dinp[i] += dout[i];
}
__global__ void reparam_fwd(float* out, const float* mu, const float* logvar, const float* eps, int64_t n) {
  VJ_GRID_LOOP(i, n) out[i] = static_cast<float>(mu[i] + exp(0.5 * logvar[i]) * eps[i]);
}
__global__ void reparam_bwd(float* dmu, float* dlogvar, const float* dout, const float* logvar, const float* eps,
                            int64_t n) {
  VJ_GRID_LOOP(i, n) {
    if (dmu) dmu[i] += dout[i];
    if (dlogvar) dlogvar[i] += static_cast<float>(dout[i] * (double)eps[i] * 0.5 * exp(0.5 * logvar[i]));
  }
}
__global__ void kl_std_fwd(float* loss, const float* mu, const float* logvar, int M, int C) {
  VJ_GRID_LOOP(m, M) {
    double s = 0.0;
    for (int c = 0; c < C; ++c) {
      const double u = mu[m * C + c], lv = logvar[m * C + c];
      s += 0.5 * (exp(lv) + u * u - lv - 1.0);
    }
    loss[m] = static_cast<float>(s);
  }
}
__global__ void kl_std_bwd(float* dmu, float* dlogvar, const float* dloss, const float* mu, const float* logvar,
                           int64_t n, int C) {
  VJ_GRID_LOOP(i, n) {
    const double g = dloss[i / C];
    if (dmu) dmu[i] += static_cast<float>(g * mu[i]);
    if (dlogvar) dlogvar[i] += static_cast<float>(g * 0.5 * (exp((double)logvar[i]) - 1.0));
  }
}
// KL(q || p) per element: 0.5 * (exp(lq - lp) + (mu_p - mu_q)^2 exp(-lp) + lp - lq - 1)
__global__ void kl_gauss_fwd(float* loss, const float* mu_q, const float* lv_q, const float* mu_p,
                             const float* lv_p, int M, int C) {
  VJ_GRID_LOOP(m, M) {
    double s = 0.0;
    for (int c = 0; c < C; ++c) {
      const int64_t i = m * C + c;
      const double lq = lv_q[i], lp = lv_p[i], dm = (double)mu_p[i] - mu_q[i];
      const double inv_vp = exp(-lp);
      s += 0.5 * (exp(lq - lp) + dm * dm * inv_vp + lp - lq - 1.0);
    }
    loss[m] = static_cast<float>(s);
  }
}
__global__ void kl_gauss_bwd(float* dmu_q, float* dlv_q, float* dmu_p, float* dlv_p, const float* dloss,
                             const float* mu_q, const float* lv_q, const float* mu_p, const float* lv_p, int64_t n,
                             int C) {
  VJ_GRID_LOOP(i, n) {
    const double g = dloss[i / C];
    const double lq = lv_q[i], lp = lv_p[i], dm = (double)mu_p[i] - mu_q[i];
    const double inv_vp = exp(-lp), r = exp(lq - lp);
    if (dmu_q) dmu_q[i] += static_cast<float>(-g * dm * inv_vp);
    if (dmu_p) dmu_p[i] += static_cast<float>(g * dm * inv_vp);
    if (dlv_q) dlv_q[i] += static_cast<float>(g * 0.5 * (r - 1.0));
    if (dlv_p) dlv_p[i] += static_cast<float>(g * 0.5 * (1.0 - r - dm * dm * inv_vp));
  }
}
__global__ void nll_fwd(float* loss, const float* pred, const float* target, const float* logvar, int64_t n) {
  const double lv = logvar[0], inv_var = exp(-lv);
  VJ_GRID_LOOP(i, n) {
    const double r = (double)target[i] - pred[i];
    loss[i] = static_cast<float>(0.5 * (kLog2Pi + lv + r * r * inv_var));
  }
}
// dpred per element; partial[chunk] = the chunk's share of dlogvar (elements in order)
__global__ void nll_bwd(float* dpred, double* partial, const float* dloss, const float* pred, const float* target,
                        const float* logvar, int64_t n, int64_t chunks) {
  const double inv_var = exp(-(double)logvar[0]);
  VJ_GRID_LOOP(k, chunks) {
    const int64_t i0 = k * kChunk, i1 = i0 + kChunk < n ? i0 + kChunk : n;
    double glv = 0.0;
    for (int64_t i = i0; i < i1; ++i) {
      const double r = (double)target[i] - pred[i];
      if (dpred) dpred[i] += static_cast<float>(-dloss[i] * r * inv_var);
      glv += dloss[i] * 0.5 * (1.0 - r * r * inv_var);
    }
    partial[k] = glv;
  }
}
__global__ void nll_bwd_finish(float* dlogvar, const double* partial, int64_t chunks) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  double s = 0.0;
  for (int64_t k = 0; k < chunks; ++k) s += partial[k];
  dlogvar[0] += static_cast<float>(s);
}

}  // namespace

void clamp_forward(float* out, const float* inp, float lo, float hi, int64_t n) {
  if (n <= 0) return;
  clamp_fwd<<<blocks_for(n), kThreads, 0, stream()>>>(out, inp, lo, hi, n);
  check_launch("clamp_forward");
}
void clamp_backward(float* dinp, const float* dout, const float* inp, float lo, float hi, int64_t n) {
  if (!dinp || n <= 0) return;
  clamp_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dinp, dout, inp, lo, hi, n);
  check_launch("clamp_backward");
}
// out (n) = mu + exp(0.5 * logvar) * eps
void reparam_forward(float* out, const float* mu, const float* logvar, const float* eps, int64_t n) {
  if (n <= 0) return;
  reparam_fwd<<<blocks_for(n), kThreads, 0, stream()>>>(out, mu, logvar, eps, n);
  check_launch("reparam_forward");
}
void reparam_backward(float* dmu, float* dlogvar, const float* dout, const float* logvar, const float* eps,
                      int64_t n) {
  if ((!dmu && !dlogvar) || n <= 0) return;
  reparam_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dmu, dlogvar, dout, logvar, eps, n);
  check_launch("reparam_backward");
}
// loss (M) = sum over C of 0.5 (exp(lv) + mu^2 - lv - 1)
void kl_std_forward(float* loss, const float* mu, const float* logvar, const RowDims& d) {
  if (d.M <= 0) return;
  kl_std_fwd<<<blocks_for(d.M), kThreads, 0, stream()>>>(loss, mu, logvar, d.M, d.C);
  check_launch("kl_std_forward");
}
void kl_std_backward(float* dmu, float* dlogvar, const float* dloss, const float* mu, const float* logvar,
                     const RowDims& d) {
  const int64_t n = static_cast<int64_t>(d.M) * d.C;
  if ((!dmu && !dlogvar) || n <= 0) return;
  kl_std_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dmu, dlogvar, dloss, mu, logvar, n, d.C);
  check_launch("kl_std_backward");
}
void kl_gauss_forward(float* loss, const float* mu_q, const float* logvar_q, const float* mu_p,
                      const float* logvar_p, const RowDims& d) {
  if (d.M <= 0) return;
  kl_gauss_fwd<<<blocks_for(d.M), kThreads, 0, stream()>>>(loss, mu_q, logvar_q, mu_p, logvar_p, d.M, d.C);
  check_launch("kl_gauss_forward");
}
void kl_gauss_backward(float* dmu_q, float* dlogvar_q, float* dmu_p, float* dlogvar_p, const float* dloss,
                       const float* mu_q, const float* logvar_q, const float* mu_p, const float* logvar_p,
                       const RowDims& d) {
  const int64_t n = static_cast<int64_t>(d.M) * d.C;
  if (n <= 0) return;
  kl_gauss_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dmu_q, dlogvar_q, dmu_p, dlogvar_p, dloss, mu_q,
                                                         logvar_q, mu_p, logvar_p, n, d.C);
  check_launch("kl_gauss_backward");
}
// loss (n) = -log N(target; pred, exp(logvar[0]))
void gauss_nll_forward(float* loss, const float* pred, const float* target, const float* logvar, int64_t n) {
  if (n <= 0) return;
  nll_fwd<<<blocks_for(n), kThreads, 0, stream()>>>(loss, pred, target, logvar, n);
  check_launch("gauss_nll_forward");
}
void gauss_nll_backward(float* dpred, float* dlogvar, const float* dloss, const float* pred, const float* target,
                        const float* logvar, int64_t n) {
  if (n <= 0) return;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  double* partial = static_cast<double*>(scratch(chunks * static_cast<int64_t>(sizeof(double))));
  if (!partial) return;
  nll_bwd<<<blocks_for(chunks, 128), 128, 0, stream()>>>(dpred, partial, dloss, pred, target, logvar, n, chunks);
  if (dlogvar) nll_bwd_finish<<<1, 1, 0, stream()>>>(dlogvar, partial, chunks);
  check_launch("gauss_nll_backward");
}

}  // namespace cuda
}  // namespace vj
