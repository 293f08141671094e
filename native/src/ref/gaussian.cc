// Scalar reference: the Gaussian pieces of the loss (docs/model.md, section 5): log-variance clamp,
// reparameterised sampling, the two closed-form KL divergences and the Gaussian likelihood of
// the numeric decoders. Plain loops, double arithmetic and accumulation.
#include <cmath>

#include "ref/ops.h"

namespace vj {
namespace ref {

static constexpr double kLog2Pi = 1.83787706640934548356;

// out (n) = clamp(inp, lo, hi)
void clamp_forward(float* out, const float* inp, float lo, float hi, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = inp[i] < lo ? lo : (inp[i] > hi ? hi : inp[i]);
}

// backward of out = clamp(inp, lo, hi): dinp += dout strictly inside (lo, hi)
void clamp_backward(float* dinp, const float* dout, const float* inp, float lo, float hi,
                    int64_t n) {
  if (!dinp) return;
  for (int64_t i = 0; i < n; ++i)
    if (inp[i] > lo && inp[i] < hi) dinp[i] += dout[i];
}

// out (n) = mu + exp(0.5 * logvar) * eps; mu, logvar, eps (n)
void reparam_forward(float* out, const float* mu, const float* logvar, const float* eps,
                     int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<float>(mu[i] + std::exp(0.5 * logvar[i]) * eps[i]);
}

// backward of out = mu + exp(0.5 logvar) eps:
//   dmu += dout;  dlogvar += dout * eps * 0.5 * exp(0.5 logvar)
void reparam_backward(float* dmu, float* dlogvar, const float* dout, const float* logvar,
                      const float* eps, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (dmu) dmu[i] += dout[i];
    if (dlogvar)
      dlogvar[i] += static_cast<float>(dout[i] * (double)eps[i] * 0.5 * std::exp(0.5 * logvar[i]));
  }
}

// loss (M) = sum over C of 0.5 * (exp(lv) + mu^2 - lv - 1); mu, logvar (M, C)
void kl_std_forward(float* loss, const float* mu, const float* logvar, const RowDims& d) {
  for (int m = 0; m < d.M; ++m) {
    double s = 0.0;
    for (int c = 0; c < d.C; ++c) {
      double u = mu[(int64_t)m * d.C + c], lv = logvar[(int64_t)m * d.C + c];
      s += 0.5 * (std::exp(lv) + u * u - lv - 1.0);
    }
    loss[m] = static_cast<float>(s);
  }
}

// backward of the KL above: dmu += dloss * mu;  dlogvar += dloss * 0.5 * (exp(lv) - 1)
void kl_std_backward(float* dmu, float* dlogvar, const float* dloss, const float* mu,
                     const float* logvar, const RowDims& d) {
  for (int m = 0; m < d.M; ++m) {
    const double g = dloss[m];
    for (int c = 0; c < d.C; ++c) {
      const int64_t i = (int64_t)m * d.C + c;
      if (dmu) dmu[i] += static_cast<float>(g * mu[i]);
      if (dlogvar) dlogvar[i] += static_cast<float>(g * 0.5 * (std::exp((double)logvar[i]) - 1.0));
    }
  }
}

// loss (M) = sum over C of 0.5 * (vq/vp + (mp - mq)^2 / vp + log(vp/vq) - 1), v = exp(lv);
// mu_q, logvar_q, mu_p, logvar_p (M, C)
void kl_gauss_forward(float* loss, const float* mu_q, const float* logvar_q, const float* mu_p,
                      const float* logvar_p, const RowDims& d) {
  for (int m = 0; m < d.M; ++m) {
    double s = 0.0;
    for (int c = 0; c < d.C; ++c) {
      const int64_t i = (int64_t)m * d.C + c;
      double lq = logvar_q[i], lp = logvar_p[i], dm = (double)mu_p[i] - mu_q[i];
      double inv_vp = std::exp(-lp);
      s += 0.5 * (std::exp(lq - lp) + dm * dm * inv_vp + lp - lq - 1.0);
    }
    loss[m] = static_cast<float>(s);
  }
}

// backward of the KL above, with r = vq/vp and dm = mp - mq:
//   dmu_q += -dloss * dm / vp          dmu_p += dloss * dm / vp
//   dlogvar_q += dloss * 0.5 * (r - 1)  dlogvar_p += dloss * 0.5 * (1 - r - dm^2 / vp)
void kl_gauss_backward(float* dmu_q, float* dlogvar_q, float* dmu_p, float* dlogvar_p,
                       const float* dloss, const float* mu_q, const float* logvar_q,
                       const float* mu_p, const float* logvar_p, const RowDims& d) {
  for (int m = 0; m < d.M; ++m) {
    const double g = dloss[m];
    for (int c = 0; c < d.C; ++c) {
      const int64_t i = (int64_t)m * d.C + c;
      double lq = logvar_q[i], lp = logvar_p[i], dm = (double)mu_p[i] - mu_q[i];
      double inv_vp = std::exp(-lp), r = std::exp(lq - lp);
      if (dmu_q) dmu_q[i] += static_cast<float>(-g * dm * inv_vp);
      if (dmu_p) dmu_p[i] += static_cast<float>(g * dm * inv_vp);
      if (dlogvar_q) dlogvar_q[i] += static_cast<float>(g * 0.5 * (r - 1.0));
      if (dlogvar_p) dlogvar_p[i] += static_cast<float>(g * 0.5 * (1.0 - r - dm * dm * inv_vp));
    }
  }
}

// loss (n) = 0.5 * (log(2 pi) + lv + (target - pred)^2 * exp(-lv)), one global lv = logvar[0];
// pred, target (n)
void gauss_nll_forward(float* loss, const float* pred, const float* target, const float* logvar,
                       int64_t n) {
  const double lv = logvar[0], inv_var = std::exp(-lv);
  for (int64_t i = 0; i < n; ++i) {
    double r = (double)target[i] - pred[i];
    loss[i] = static_cast<float>(0.5 * (kLog2Pi + lv + r * r * inv_var));
  }
}

// backward of the loss above, r = target - pred:
//   dpred += -dloss * r * exp(-lv);  dlogvar (1) += sum over n of dloss * 0.5 * (1 - r^2 exp(-lv))
void gauss_nll_backward(float* dpred, float* dlogvar, const float* dloss, const float* pred,
                        const float* target, const float* logvar, int64_t n) {
  const double inv_var = std::exp(-(double)logvar[0]);
  double glv = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double r = (double)target[i] - pred[i];
    if (dpred) dpred[i] += static_cast<float>(-dloss[i] * r * inv_var);
    glv += dloss[i] * 0.5 * (1.0 - r * r * inv_var);
  }
  if (dlogvar) dlogvar[0] += static_cast<float>(glv);
}

}  // namespace ref
}  // namespace vj
