// Var-T-JEPA inference: the deterministic embedding with uncertainty (MODEL.md section 7).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/vartjepa.h"

namespace vj {

// 90th percentile with linear interpolation between order statistics (numpy's default)
static float percentile90(float* v, int n) {
  const double pos = 0.9 * (n - 1);
  const int k = static_cast<int>(pos);
  const double frac = pos - k;
  std::nth_element(v, v + k, v + n);
  const float lo = v[k];
  if (k + 1 >= n || frac == 0) return lo;
  const float hi = *std::min_element(v + k + 1, v + n);
  return static_cast<float>(lo + frac * (hi - lo));
}

void VarTJepa::embed(const float* x, int64_t B, const EmbedOutput& out) {
  const int chunk = embed_chunk_, DC = D_ * C_;
  std::vector<int32_t> ctx(static_cast<size_t>(chunk) * D_);
  for (int b = 0; b < chunk; ++b)
    for (int j = 0; j < D_; ++j) ctx[static_cast<size_t>(b) * D_ + j] = j;  // context = the full row
  std::vector<float> sd(static_cast<size_t>(DC));
  for (int64_t r0 = 0; r0 < B; r0 += chunk) {
    const int Bc = static_cast<int>(std::min<int64_t>(chunk, B - r0));
    const float* xc = x + r0 * D_;
    NoiseStream noise{0, 0};
    context_encoder_forward(xc, Bc, D_, ctx.data(), false, false, noise, 0);  // s_x = mu_sx
    pool_aux_forward(Bc, D_, false, 0);                                      // z = mu_z
    target_forward(xc, Bc, false, false, noise, 0);                          // output mu_sw
    std::memcpy(out.embeddings + r0 * DC, A(mu_sw), static_cast<size_t>(Bc) * DC * sizeof(float));
    const float* lv = A(lv_sw);
    for (int b = 0; b < Bc; ++b) {
      double sum = 0;
      for (int i = 0; i < DC; ++i) {
        float s = std::exp(0.5f * lv[static_cast<int64_t>(b) * DC + i]);
        sd[static_cast<size_t>(i)] = s;
        sum += s;
      }
      out.uncertainty[r0 + b] = static_cast<float>(sum / DC);
      out.uncertainty_p90[r0 + b] = percentile90(sd.data(), DC);
    }
  }
}

}  // namespace vj
