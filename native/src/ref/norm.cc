// Scalar reference: LayerNorm over the last dimension. Plain loops, double accumulation.
#include <cmath>

#include "ref/ops.h"

namespace vj {
namespace ref {

static constexpr double kLayerNormEps = 1e-5;

// out (M, C) = (inp - mean) * rstd * weight + bias, with per-row mean and biased variance;
// saves mean (M) and rstd (M) = 1 / sqrt(var + eps) for the backward pass
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, const RowDims& d) {
  for (int m = 0; m < d.M; ++m) {
    const float* x = inp + (int64_t)m * d.C;
    double mu = 0.0;
    for (int c = 0; c < d.C; ++c) mu += x[c];
    mu /= d.C;
    double var = 0.0;
    for (int c = 0; c < d.C; ++c) {
      double xc = x[c] - mu;
      var += xc * xc;
    }
    var /= d.C;
    double rs = 1.0 / std::sqrt(var + kLayerNormEps);
    float* o = out + (int64_t)m * d.C;
    for (int c = 0; c < d.C; ++c)
      o[c] = static_cast<float>((x[c] - mu) * rs * weight[c] + bias[c]);
    mean[m] = static_cast<float>(mu);
    rstd[m] = static_cast<float>(rs);
  }
}

// backward of out = xhat * weight + bias with xhat = (inp - mean) * rstd:
//   dinp += rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)),  g = dout * weight
//   dweight += sum over rows of dout * xhat;  dbias += sum over rows of dout
void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean,
                        const float* rstd, const RowDims& d) {
  if (dinp) {
    for (int m = 0; m < d.M; ++m) {
      const float* x = inp + (int64_t)m * d.C;
      const float* go = dout + (int64_t)m * d.C;
      const double mu = mean[m], rs = rstd[m];
      double g_mean = 0.0, gx_mean = 0.0;
      for (int c = 0; c < d.C; ++c) {
        double g = static_cast<double>(go[c]) * weight[c];
        g_mean += g;
        gx_mean += g * (x[c] - mu) * rs;
      }
      g_mean /= d.C;
      gx_mean /= d.C;
      float* gi = dinp + (int64_t)m * d.C;
      for (int c = 0; c < d.C; ++c) {
        double g = static_cast<double>(go[c]) * weight[c];
        double xhat = (x[c] - mu) * rs;
        gi[c] += static_cast<float>(rs * (g - g_mean - xhat * gx_mean));
      }
    }
  }
  if (dweight || dbias) {
    for (int c = 0; c < d.C; ++c) {
      double gw = 0.0, gb = 0.0;
      for (int m = 0; m < d.M; ++m) {
        double g = dout[(int64_t)m * d.C + c];
        gw += g * ((inp[(int64_t)m * d.C + c] - static_cast<double>(mean[m])) * rstd[m]);
        gb += g;
      }
      if (dweight) dweight[c] += static_cast<float>(gw);
      if (dbias) dbias[c] += static_cast<float>(gb);
    }
  }
}

}  // namespace ref
}  // namespace vj
