// Var-T-JEPA inference: the deterministic embedding with uncertainty (MODEL.md section 7).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/philox.h"
#include "engine/threadpool.h"
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
  if (unc_scratch_.size() < static_cast<size_t>(chunk) * DC) unc_scratch_.assign(static_cast<size_t>(chunk) * DC, 0.f);
  for (int64_t r0 = 0; r0 < B; r0 += chunk) {
    const int Bc = static_cast<int>(std::min<int64_t>(chunk, B - r0));
    const float* xc = x + r0 * D_;
    NoiseStream noise{0, 0};
    context_encoder_forward(xc, Bc, D_, ctx.data(), nullptr, false, false, noise, 0);  // s_x = mu_sx
    pool_aux_forward(Bc, D_, false, 0);                                      // z = mu_z
    target_forward(xc, Bc, false, false, noise, 0);                          // output mu_sw
    parallel_copy(out.embeddings + r0 * DC, A(mu_sw), static_cast<int64_t>(Bc) * DC);
    // per-row uncertainty, rows split over the pool (each row's statistics are its own)
    const float* lv = A(lv_sw);
    float* sdbuf = unc_scratch_.data();
    parallel_for(Bc, 8, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        float* sd = sdbuf + b * DC;
        double sum = 0;
        for (int i = 0; i < DC; ++i) {
          float s = std::exp(0.5f * lv[b * DC + i]);
          sd[i] = s;
          sum += s;
        }
        out.uncertainty[r0 + b] = static_cast<float>(sum / DC);
        out.uncertainty_p90[r0 + b] = percentile90(sd, DC);
      }
    });
  }
}

// Section 8: s_x ~ q(s_x | x_O), z ~ N(0, I), s_y ~ p(s_y | s_x, z) at the unobserved positions,
// decoded by the target decoder. Rows have different observed sets: the context and predictor
// sequences are padded to the longest and the padding is masked out of attention.
void VarTJepa::generate(const float* x, const uint8_t* observed, int64_t B, int draws, uint64_t seed, float* values,
                        float* probs) {
  int sum_card = 0;
  for (int c : tab_.cat_card) sum_card += c;
  int Omax = 0, Umax = 0;
  for (int64_t b = 0; b < B; ++b) {
    int o = 0;
    for (int j = 0; j < D_; ++j) o += observed[b * D_ + j] ? 1 : 0;
    if (o == 0) throw_range("Expected at least one observed feature per row in observed but row " + std::to_string(b) + " has none");
    Omax = std::max(Omax, o);
    Umax = std::max(Umax, D_ - o);
  }
  const int64_t outRows = B;
  // copy the observed values into every draw; unobserved slots are written below
  for (int d = 0; d < draws; ++d)
    for (int64_t b = 0; b < B; ++b)
      for (int j = 0; j < D_; ++j)
        values[(d * outRows + b) * D_ + j] = observed[b * D_ + j] ? x[b * D_ + j] : 0.f;
  if (Umax == 0) return;
  // rows per chunk: the context encoder and predictor arenas bound it
  const int Tc = 1 + Omax, Tp = Omax + Umax;
  int64_t cap = cfg_.maxBatch;
  cap = std::min<int64_t>(cap, ctxRowsCap_ / Tc);
  cap = std::min<int64_t>(cap, (static_cast<int64_t>(cfg_.maxBatch) * (1 + McMax_) * (1 + McMax_) >
                                        static_cast<int64_t>(embed_chunk_) * (1 + D_) * (1 + D_)
                                    ? static_cast<int64_t>(cfg_.maxBatch) * (1 + McMax_) * (1 + McMax_)
                                    : static_cast<int64_t>(embed_chunk_) * (1 + D_) * (1 + D_)) /
                                   (static_cast<int64_t>(Tc) * Tc));
  const int64_t KBp = static_cast<int64_t>(K_) * cfg_.maxBatch * TpMax_;
  cap = std::min<int64_t>(cap, KBp / Tp);
  cap = std::min<int64_t>(cap, static_cast<int64_t>(K_) * cfg_.maxBatch * TpMax_ * TpMax_ / (static_cast<int64_t>(Tp) * Tp));
  if (cap < 1) throw_range("generate: the observed/unobserved pattern is too long for this model's buffers (increase batchSize)");
  const int chunk = static_cast<int>(cap);
  std::vector<int32_t> ctx(static_cast<size_t>(chunk) * Omax), trg(static_cast<size_t>(chunk) * Umax);
  std::vector<int32_t> nobs(static_cast<size_t>(chunk)), nuns(static_cast<size_t>(chunk));
  std::vector<uint8_t> kmc(static_cast<size_t>(chunk) * Tc), kmp(static_cast<size_t>(chunk) * Tp);
  std::vector<float> xs(static_cast<size_t>(chunk) * D_);
  std::vector<int32_t> qfeat(static_cast<size_t>(chunk) * Umax), qrow(static_cast<size_t>(chunk) * Umax);
  std::vector<float> dec(static_cast<size_t>(std::max(1, *std::max_element(tab_.cat_card.begin(), tab_.cat_card.end()))));
  for (int64_t r0 = 0; r0 < B; r0 += chunk) {
    const int Bc = static_cast<int>(std::min<int64_t>(chunk, B - r0));
    for (int b = 0; b < Bc; ++b) {
      const int64_t r = r0 + b;
      int no = 0, nu = 0;
      for (int j = 0; j < D_; ++j) {
        // unobserved cells may hold anything: the model reads a valid placeholder (0) there
        xs[static_cast<size_t>(b) * D_ + j] = observed[r * D_ + j] ? x[r * D_ + j] : 0.f;
        if (observed[r * D_ + j]) ctx[static_cast<size_t>(b) * Omax + no++] = j;
        else trg[static_cast<size_t>(b) * Umax + nu++] = j;
      }
      nobs[static_cast<size_t>(b)] = no;
      nuns[static_cast<size_t>(b)] = nu;
      kmc[static_cast<size_t>(b) * Tc] = 1;
      for (int t = 0; t < Omax; ++t) {
        const bool ok = t < no;
        if (!ok) ctx[static_cast<size_t>(b) * Omax + t] = ctx[static_cast<size_t>(b) * Omax];
        kmc[static_cast<size_t>(b) * Tc + 1 + t] = ok;
        kmp[static_cast<size_t>(b) * Tp + t] = ok;
      }
      for (int u = 0; u < Umax; ++u) {
        const bool ok = u < nu;
        if (!ok) trg[static_cast<size_t>(b) * Umax + u] = nu > 0 ? trg[static_cast<size_t>(b) * Umax] : 0;
        kmp[static_cast<size_t>(b) * Tp + Omax + u] = ok;
        qfeat[static_cast<size_t>(b) * Umax + u] = trg[static_cast<size_t>(b) * Umax + u];
        qrow[static_cast<size_t>(b) * Umax + u] = b;
      }
    }
    for (int d = 0; d < draws; ++d) {
      const uint64_t dseed = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(r0) * 1315423911ull + static_cast<uint64_t>(d);
      NoiseStream noise{dseed, 3ull << 40};
      // s_x ~ q(s_x | x_O)
      context_encoder_forward(xs.data(), Bc, Omax, ctx.data(), kmc.data(), false, true, noise, dseed);
      // z ~ N(0, I), the prior
      const int64_t BC = static_cast<int64_t>(Bc) * C_;
      fill_normal(A(z), BC, dseed, 1ull << 40);
      // s_y ~ p(s_y | s_x, z) at the unobserved positions
      StepMasks m;
      m.Mc = Omax;
      m.Mt = Umax;
      m.ctx = ctx.data();
      m.trg = trg.data();
      predictor_forward(Bc, 1, m, kmp.data(), false, noise);
      const int Nq = Bc * Umax;
      const int64_t NqC = static_cast<int64_t>(Nq) * C_;
      fill_normal(A(eps_sw), NqC, dseed, 2ull << 40);
      be_.reparam_forward(A(s_w), A(mu_p), A(lv_p), A(eps_sw), NqC);
      // decode with the target decoder
      dec_trg_.forward(be_, ps_, A(s_w), qfeat.data(), qrow.data(), xs.data(), Nq);
      for (int b = 0; b < Bc; ++b) {
        const int64_t r = r0 + b;
        for (int u = 0; u < nuns[static_cast<size_t>(b)]; ++u) {
          const int n = b * Umax + u, j = qfeat[static_cast<size_t>(n)];
          const int k = dec_trg_.decoded(n, dec.data());
          float* v = values + (d * outRows + r) * D_ + j;
          if (tab_.cat_card[static_cast<size_t>(j)] > 0) {
            std::memcpy(probs + (d * outRows + r) * sum_card + tab_.cat_offset[static_cast<size_t>(j)], dec.data(),
                        static_cast<size_t>(k) * sizeof(float));
            // sample a class from the decoded probabilities
            float u01 = philox_uniform(dseed ^ 0x5bd1e995u, static_cast<uint64_t>(n)), acc = 0.f;
            int cls = k - 1;
            for (int c = 0; c < k; ++c) {
              acc += dec[static_cast<size_t>(c)];
              if (u01 < acc) {
                cls = c;
                break;
              }
            }
            *v = static_cast<float>(cls);
          } else {
            *v = dec[0];
          }
        }
      }
    }
  }
}

}  // namespace vj
