// Var-T-JEPA inference: the deterministic embedding with uncertainty (docs/model.md, section 7).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

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

// splitmix64: a row's random context view from (seed, row, view)
static uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// ctx (B, Mc): Mc distinct feature indices per row, a seeded partial Fisher-Yates shuffle
static void draw_views(int32_t* ctx, int B, int D, int Mc, uint64_t seed, int64_t row0, int view) {
  std::vector<int32_t> perm(static_cast<size_t>(D));
  for (int b = 0; b < B; ++b) {
    uint64_t st = mix64(seed ^ mix64(static_cast<uint64_t>(row0 + b) * 0x100000001B3ull + static_cast<uint64_t>(view)));
    for (int j = 0; j < D; ++j) perm[static_cast<size_t>(j)] = j;
    for (int t = 0; t < Mc; ++t) {
      st = mix64(st);
      const int k = t + static_cast<int>(st % static_cast<uint64_t>(D - t));
      std::swap(perm[static_cast<size_t>(t)], perm[static_cast<size_t>(k)]);
      ctx[static_cast<size_t>(b) * Mc + t] = perm[static_cast<size_t>(t)];
    }
  }
}

// per-row mean and 90th percentile of the standard deviations sd (B, D*C), and when feat is not
// null the mean over each feature's C entries (B, D)
static void row_stats(float* sd, int B, int D, int C, float* mean, float* p90, float* feat) {
  const int DC = D * C;
  parallel_for(B, 8, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      float* s = sd + b * DC;
      double sum = 0;
      for (int j = 0; j < D; ++j) {
        double fs = 0;
        for (int c = 0; c < C; ++c) fs += s[j * C + c];
        if (feat) feat[b * D + j] = static_cast<float>(fs / C);
        sum += fs;
      }
      mean[b] = static_cast<float>(sum / DC);
      p90[b] = percentile90(s, DC);
    }
  });
}

// The predictor on one context view: targets = the features outside the view (K = 1); adds each
// row's mean KL_sy per target token to surprise (B) (overwrites when first); with feat, also
// adds each target's KL_sy to feat (B, D) and one to its count in feat_n (B, D).
void VarTJepa::view_surprise(int B, int Mc, int Mt, const int32_t* ctx, int32_t* trg, uint8_t* in_view, float* surprise,
                             bool first, float* feat, float* feat_n, float* prior) {
  for (int b = 0; b < B; ++b) {
    std::fill(in_view, in_view + D_, 0);
    for (int t = 0; t < Mc; ++t) in_view[ctx[static_cast<int64_t>(b) * Mc + t]] = 1;
    int u = 0;
    for (int j = 0; j < D_; ++j)
      if (!in_view[j]) trg[static_cast<int64_t>(b) * Mt + u++] = j;
  }
  StepMasks m;
  m.Mc = Mc;
  m.Mt = Mt;
  m.ctx = ctx;
  m.trg = trg;
  NoiseStream noise{0, 0};
  predictor_forward(B, 1, m, nullptr, false, noise);
  const int Nq = B * Mt;
  be_.index_select_forward(A(muq), A(mu_sw), idx_sw_b_, IndexDims{Nq, B * D_, C_});
  be_.index_select_forward(A(lvq), A(lv_sw), idx_sw_b_, IndexDims{Nq, B * D_, C_});
  be_.kl_gauss_forward(A(loss_sy), A(muq), A(lvq), A(mu_p), A(lv_p), RowDims{Nq, C_});
  const float* kl = host(A(loss_sy), Nq, host_a_);
  for (int b = 0; b < B; ++b) {
    double s = 0;
    for (int u = 0; u < Mt; ++u) {
      const int64_t i = static_cast<int64_t>(b) * Mt + u;
      s += kl[i];
      if (feat) {
        const int64_t f = static_cast<int64_t>(b) * D_ + trg[i];
        feat[f] += kl[i];
        feat_n[f] += 1.f;
      }
    }
    const float v = static_cast<float>(s / Mt);
    if (surprise) surprise[b] = first ? v : surprise[b] + v;
  }
  if (prior) {  // the prior's standard deviation on the view's left-out tokens
    const float* lvp = host(A(lv_p), static_cast<int64_t>(Nq) * C_, host_a_);
    for (int b = 0; b < B; ++b) {
      double s = 0;
      const int64_t n = static_cast<int64_t>(Mt) * C_;
      for (int64_t i = 0; i < n; ++i) s += std::exp(0.5 * lvp[static_cast<int64_t>(b) * n + i]);
      const float v = static_cast<float>(s / n);
      prior[b] = first ? v : prior[b] + v;
    }
  }
}

// rows per piece of embed_parallel: small enough that one piece's activations stay in a core's
// cache, large enough that the GEMMs keep their register tiles full
static const int kReplicaRows = 64;

void VarTJepa::latent_stds(int B, int Mc, float* cu, float* au, bool first) {
  const int N = B * Mc;
  const int64_t NC = static_cast<int64_t>(N) * C_, BC = static_cast<int64_t>(B) * C_;
  auto add_means = [&](const float* lv, int per_row, float* dst) {  // mean exp(lv / 2) over per_row values
    for (int b = 0; b < B; ++b) {
      double s = 0;
      for (int i = 0; i < per_row; ++i) s += std::exp(0.5 * lv[static_cast<int64_t>(b) * per_row + i]);
      const float v = static_cast<float>(s / per_row);
      dst[b] = first ? v : dst[b] + v;
    }
  };
  if (cu) {  // the log-variance head of (I) on the context tokens
    be_.linear_forward(A(lvr_sx), A(hc_tok), ps_.p(ctx_lv_), ps_.p(ctx_lv_ + 1), MatDims{N, C_, C_});
    be_.clamp_forward(A(lv_sx), A(lvr_sx), cfg_.logvarMin, cfg_.logvarMax, NC);
    add_means(host(A(lv_sx), NC, host_a_), Mc * C_, cu);
  }
  if (au) {  // the log-sigma head of (II): logvar_z = 2 log sigma_z, clamped
    be_.linear_forward(A(ls_z), A(a3), ps_.p(aux_ls_), ps_.p(aux_ls_ + 1), MatDims{B, C_, C_});
    be_.scale_forward(A(lvr_z), A(ls_z), 2.f, BC);
    be_.clamp_forward(A(lv_z), A(lvr_z), cfg_.logvarMin, cfg_.logvarMax, BC);
    add_means(host(A(lv_z), BC, host_b_), C_, au);
  }
}

void VarTJepa::embed(const float* x, int64_t B, const EmbedOutput& out, const EmbedViews& views) {
  if (!be_.on_device && B > kReplicaRows) embed_parallel(x, B, out, views);
  else embed_serial(x, B, out, views);
}

void VarTJepa::embed_parallel(const float* x, int64_t B, const EmbedOutput& out, const EmbedViews& views) {
  const int T = num_threads();
  while (static_cast<int>(replicas_.size()) < T) {
    ModelConfig rc = cfg_;
    rc.batchSize = kReplicaRows;
    replicas_.emplace_back(new VarTJepa(rc, be_, this));
  }
  const int64_t pieces = (B + kReplicaRows - 1) / kReplicaRows, DC = static_cast<int64_t>(D_) * C_;
  parallel_pieces(pieces, T, [&](int64_t i, int part) {
    const int64_t r0 = i * kReplicaRows, n = std::min<int64_t>(kReplicaRows, B - r0);
    EmbedOutput o{out.embeddings + r0 * DC, out.uncertainty + r0, out.uncertainty_p90 + r0,
                  out.surprise ? out.surprise + r0 : nullptr,
                  out.feature_uncertainty ? out.feature_uncertainty + r0 * D_ : nullptr,
                  out.context_uncertainty ? out.context_uncertainty + r0 : nullptr,
                  out.aux_uncertainty ? out.aux_uncertainty + r0 : nullptr,
                  out.feature_surprise ? out.feature_surprise + r0 * D_ : nullptr,
                  out.prior_uncertainty ? out.prior_uncertainty + r0 : nullptr,
                  out.context_summary ? out.context_summary + r0 * P_ * C_ : nullptr};
    EmbedViews v = views;
    v.rowOffset += r0;
    replicas_[static_cast<size_t>(part)]->embed_serial(x + r0 * D_, n, o, v);
  });
}

void VarTJepa::embed_serial(const float* x, int64_t B, const EmbedOutput& out, const EmbedViews& views) {
  const int DC = D_ * C_, V = views.views;
  // a view leaves at least one feature to predict (when the row has two)
  const int Mc = V > 0 ? std::max(1, std::min(D_ > 1 ? D_ - 1 : 1, static_cast<int>(std::lround(D_ * static_cast<double>(views.viewFraction))))) : D_;
  const int Mt = V > 0 ? D_ - Mc : 0;
  int chunk = embed_chunk_;
  if (Mt > 0) {  // the predictor's buffers (K * batchSize sequences of TpMax tokens) bound a view chunk
    const int64_t seqs = static_cast<int64_t>(K_) * cfg_.batchSize;
    int64_t cap_rows = std::min<int64_t>(seqs * MtMax_ / Mt, seqs * TpMax_ / D_);
    cap_rows = std::min<int64_t>(cap_rows, seqs * TpMax_ * TpMax_ / (static_cast<int64_t>(D_) * D_));
    chunk = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(chunk, cap_rows)));
  }
  const size_t cap = static_cast<size_t>(chunk) * DC;
  std::vector<int32_t> trg(static_cast<size_t>(chunk) * (Mt > 0 ? Mt : 1));
  std::vector<uint8_t> in_view(static_cast<size_t>(D_));
  std::vector<int32_t> ctx(static_cast<size_t>(chunk) * Mc);
  std::vector<float> feat_n;  // (chunk, D) views that left each feature out, with feature_surprise
  if (V == 0)
    for (int b = 0; b < chunk; ++b)
      for (int j = 0; j < D_; ++j) ctx[static_cast<size_t>(b) * D_ + j] = j;  // context = the full row
  if (unc_scratch_.size() < cap) unc_scratch_.assign(cap, 0.f);
  if (V > 0 && view_m2_.size() < cap) {
    view_m2_.assign(cap, 0.f);
    view_var_.assign(cap, 0.f);
  }
  for (int64_t r0 = 0; r0 < B; r0 += chunk) {
    const int Bc = static_cast<int>(std::min<int64_t>(chunk, B - r0));
    const int64_t n = static_cast<int64_t>(Bc) * DC;
    const float* xc = upload_x(x + r0 * D_, Bc);  // in the backend's memory
    float* emb = out.embeddings + r0 * DC;
    float* sd = unc_scratch_.data();
    NoiseStream noise{0, 0};
    if (V == 0) {
      context_encoder_forward(xc, Bc, D_, ctx.data(), nullptr, false, false, noise, 0);  // s_x = mu_sx
      pool_aux_forward(Bc, D_, false, 0);                                                // z = mu_z
      if (out.context_summary) add_context_summary(Bc, out.context_summary + r0 * P_ * C_, true);
      if (out.context_uncertainty || out.aux_uncertainty)
        latent_stds(Bc, D_, out.context_uncertainty ? out.context_uncertainty + r0 : nullptr,
                    out.aux_uncertainty ? out.aux_uncertainty + r0 : nullptr, true);
      target_forward(xc, Bc, false, false, noise, 0);                                    // output mu_sw
      be_.copy_to_host(emb, A(mu_sw), n * static_cast<int64_t>(sizeof(float)));
      const float* lv = host(A(lv_sw), n, host_b_);
      parallel_for(n, 4096, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) sd[i] = std::exp(0.5f * lv[i]);
      });
    } else {
      float *m2 = view_m2_.data(), *var = view_var_.data();
      float* fs = out.feature_surprise ? out.feature_surprise + r0 * D_ : nullptr;  // NaN throughout when Mt = 0
      if (fs) {
        std::fill(fs, fs + static_cast<int64_t>(Bc) * D_, 0.f);
        feat_n.assign(static_cast<size_t>(Bc) * D_, 0.f);
      }
      for (int v = 0; v < V; ++v) {
        draw_views(ctx.data(), Bc, D_, Mc, views.viewSeed, views.rowOffset + r0, v);
        context_encoder_forward(xc, Bc, Mc, ctx.data(), nullptr, false, false, noise, 0);
        pool_aux_forward(Bc, Mc, false, 0);
        if (out.context_summary) add_context_summary(Bc, out.context_summary + r0 * P_ * C_, v == 0);
        if (out.context_uncertainty || out.aux_uncertainty)
          latent_stds(Bc, Mc, out.context_uncertainty ? out.context_uncertainty + r0 : nullptr,
                      out.aux_uncertainty ? out.aux_uncertainty + r0 : nullptr, v == 0);
        target_forward(xc, Bc, false, false, noise, 0);
        if ((out.surprise || fs || out.prior_uncertainty) && Mt > 0)
          view_surprise(Bc, Mc, Mt, ctx.data(), trg.data(), in_view.data(), out.surprise ? out.surprise + r0 : nullptr, v == 0, fs,
                        feat_n.data(), out.prior_uncertainty ? out.prior_uncertainty + r0 : nullptr);
        // Welford: running mean of mu_sw (in emb), sum of squared deviations (m2), sum of var_sw
        const float* mu = host(A(mu_sw), n, host_a_);
        const float* lv = host(A(lv_sw), n, host_b_);
        const float inv = 1.f / static_cast<float>(v + 1);
        parallel_for(n, 4096, [&](int64_t i0, int64_t i1) {
          for (int64_t i = i0; i < i1; ++i) {
            const float vi = std::exp(lv[i]);
            if (v == 0) {
              emb[i] = mu[i];
              m2[i] = 0.f;
              var[i] = vi;
            } else {
              const float d0 = mu[i] - emb[i];
              emb[i] += d0 * inv;
              m2[i] += d0 * (mu[i] - emb[i]);
              var[i] += vi;
            }
          }
        });
      }
      if (fs)
        for (int64_t i = 0; i < static_cast<int64_t>(Bc) * D_; ++i)
          fs[i] = feat_n[static_cast<size_t>(i)] > 0.f ? fs[i] / feat_n[static_cast<size_t>(i)] : std::numeric_limits<float>::quiet_NaN();
      const float invV = 1.f / static_cast<float>(V);
      parallel_for(n, 4096, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) sd[i] = std::sqrt((var[i] + m2[i]) * invV);
      });
    }
    check_backend(be_, "embedding");
    row_stats(sd, Bc, D_, C_, out.uncertainty + r0, out.uncertainty_p90 + r0,
              out.feature_uncertainty ? out.feature_uncertainty + r0 * D_ : nullptr);
    for (float* u : {out.surprise, out.prior_uncertainty})
      if (u)
        for (int b = 0; b < Bc; ++b) u[r0 + b] = V > 0 && Mt > 0 ? u[r0 + b] / static_cast<float>(V) : 0.f;
    for (float* u : {out.context_uncertainty, out.aux_uncertainty})
      if (u && V > 1)
        for (int b = 0; b < Bc; ++b) u[r0 + b] /= static_cast<float>(V);
    if (out.context_summary && V > 1) {
      float* cs = out.context_summary + r0 * P_ * C_;
      for (int64_t i = 0; i < static_cast<int64_t>(Bc) * P_ * C_; ++i) cs[i] /= static_cast<float>(V);
    }
  }
}

// sbar_x of the B rows just pooled, (B, P*C) row-major (the pooler writes (B*P, C)), copied into
// dst (first) or added to it (the views after the first)
void VarTJepa::add_context_summary(int B, float* dst, bool first) {
  const int64_t n = static_cast<int64_t>(B) * P_ * C_;
  const float* s = host(A(sbar), n, sbar_scratch_);
  if (first) std::copy(s, s + n, dst);
  else
    for (int64_t i = 0; i < n; ++i) dst[i] += s[i];
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
  int64_t cap = cfg_.batchSize;
  cap = std::min<int64_t>(cap, ctxRowsCap_ / Tc);
  cap = std::min<int64_t>(cap, (static_cast<int64_t>(cfg_.batchSize) * (1 + McMax_) * (1 + McMax_) >
                                        static_cast<int64_t>(embed_chunk_) * (1 + D_) * (1 + D_)
                                    ? static_cast<int64_t>(cfg_.batchSize) * (1 + McMax_) * (1 + McMax_)
                                    : static_cast<int64_t>(embed_chunk_) * (1 + D_) * (1 + D_)) /
                                   (static_cast<int64_t>(Tc) * Tc));
  const int64_t KBp = static_cast<int64_t>(K_) * cfg_.batchSize * TpMax_;
  cap = std::min<int64_t>(cap, KBp / Tp);
  cap = std::min<int64_t>(cap, static_cast<int64_t>(K_) * cfg_.batchSize * TpMax_ * TpMax_ / (static_cast<int64_t>(Tp) * Tp));
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
    // the rows and key masks as the ops read them
    const float* xs_b = upload_x(xs.data(), Bc);
    const uint8_t* kmc_b = on_backend(be_, kmask_c_dev_, kmc.data(), static_cast<int64_t>(Bc) * Tc);
    const uint8_t* kmp_b = on_backend(be_, kmask_p_dev_, kmp.data(), static_cast<int64_t>(Bc) * Tp);
    for (int d = 0; d < draws; ++d) {
      const uint64_t dseed = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(r0) * 1315423911ull + static_cast<uint64_t>(d);
      NoiseStream noise{dseed, 3ull << 40};
      // s_x ~ q(s_x | x_O)
      context_encoder_forward(xs_b, Bc, Omax, ctx.data(), kmc_b, false, true, noise, dseed);
      // z ~ N(0, I), the prior
      const int64_t BC = static_cast<int64_t>(Bc) * C_;
      noise_to(A(z), BC, dseed, 1ull << 40);
      // s_y ~ p(s_y | s_x, z) at the unobserved positions
      StepMasks m;
      m.Mc = Omax;
      m.Mt = Umax;
      m.ctx = ctx.data();
      m.trg = trg.data();
      predictor_forward(Bc, 1, m, kmp_b, false, noise);
      const int Nq = Bc * Umax;
      const int64_t NqC = static_cast<int64_t>(Nq) * C_;
      noise_to(A(eps_sw), NqC, dseed, 2ull << 40);
      be_.reparam_forward(A(s_w), A(mu_p), A(lv_p), A(eps_sw), NqC);
      // decode with the target decoder
      dec_trg_.forward(be_, ps_, A(s_w), qfeat.data(), qrow.data(), xs.data(), Nq);
      dec_trg_.fetch_outputs(be_);
      check_backend(be_, "generation");
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
