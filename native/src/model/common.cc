// Pieces both models compose: tokeniser with CLS, sinusoid tables, step checks, optimiser step.
#include "model/common.h"

#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/threadpool.h"

namespace vj {

std::vector<float> sinusoid(int D, int C, float base) {
  std::vector<float> pe(static_cast<size_t>(D) * C);
  for (int j = 0; j < D; ++j)
    for (int c = 0; c < C; ++c) {
      double freq = std::pow(static_cast<double>(base), -static_cast<double>(c - (c & 1)) / C);
      double a = j * freq;
      pe[static_cast<size_t>(j) * C + c] = static_cast<float>((c & 1) ? std::cos(a) : std::sin(a));
    }
  return pe;
}

void TokTables::build(const std::vector<int>& cardinalities, int width, float pos_base, const Backend& be) {
  D = static_cast<int>(cardinalities.size());
  C = width;
  cat_offset.clear();
  cat_card.clear();
  int off = 0;
  for (int c : cardinalities) {
    cat_offset.push_back(c > 0 ? off : -1);
    cat_card.push_back(c);
    off += c;
  }
  pos = sinusoid(D, C, pos_base);
  offset_b = on_backend(be, offset_dev_, cat_offset.data(), D);
  card_b = on_backend(be, card_dev_, cat_card.data(), D);
  pos_b = on_backend(be, pos_dev_, pos.data(), static_cast<int64_t>(D) * C);
}

TokParams declare_tokenizer(ParamSet& ps, const std::string& name, const std::vector<int>& cardinalities, int C) {
  const int D = static_cast<int>(cardinalities.size());
  int sum_card = 0;
  for (int c : cardinalities) sum_card += c;
  TokParams t;
  t.w_num = ps.add(name + ".tok.num_weight", {C}, Init::Uniform, 1.f, false);  // W_num, Linear(1, d)
  t.b_num = ps.add(name + ".tok.num_bias", {D, C}, Init::Uniform, 1.f, false);  // b_j per feature
  t.cat = ps.add(name + ".tok.cat_embed", {sum_card > 0 ? sum_card : 1, C}, Init::Normal, 1.f, false);
  t.type = ps.add(name + ".tok.type_embed", {2, C}, Init::Normal, 0.02f, false);  // e_type[num], e_type[cat]
  t.cls = ps.add(name + ".cls", {C}, Init::Normal, 0.02f, false);
  return t;
}

void encoder_input_forward(const Backend& be, const ParamSet& ps, const TokParams& t, const TokTables& tab, float* seq,
                           float* tok, const float* x, const int32_t* feat, int B, int M) {
  const int C = tab.C, T = 1 + M;
  be.tokenizer_forward(tok, x, feat, ps.p(t.w_num), ps.p(t.b_num), ps.p(t.cat), tab.offset_b, tab.card_b,
                       ps.p(t.type), tab.pos_b, TokDims{B, M, tab.D, C});
  be.concat_rows_forward(seq, ps.p(t.cls), ConcatDims{B, 1, T, 0, C, 1});
  be.concat_rows_forward(seq, tok, ConcatDims{B, M, T, 1, C, 0});
}

void encoder_input_backward(const Backend& be, ParamSet& ps, const TokParams& t, const TokTables& tab, float* dtok,
                            const float* dseq, const float* x, const int32_t* feat, int B, int M) {
  const int C = tab.C, T = 1 + M;
  // seq[b] = [cls, tok[b]]
  be.concat_rows_backward(ps.g(t.cls), dseq, ConcatDims{B, 1, T, 0, C, 1});
  be.mem_set(dtok, 0, static_cast<int64_t>(B) * M * C * static_cast<int64_t>(sizeof(float)));
  be.concat_rows_backward(dtok, dseq, ConcatDims{B, M, T, 1, C, 0});
  be.tokenizer_backward(ps.g(t.w_num), ps.g(t.b_num), ps.g(t.cat), ps.g(t.type), dtok, x, feat, tab.offset_b,
                        TokDims{B, M, tab.D, C});
}

void check_step_sizes(const ModelConfig& cfg, int B, int Mc, int Mt) {
  if (B < 1 || B > cfg.batchSize)
    throw_range("Expected between 1 and " + std::to_string(cfg.batchSize) + " rows for batch but received " + std::to_string(B));
  if (Mc < 1 || Mc > cfg.max_ctx())
    throw_range("Expected a context size between 1 and " + std::to_string(cfg.max_ctx()) + " for masks.ctxSize but received " + std::to_string(Mc));
  if (Mt < 1 || Mt > cfg.max_trg() || Mc + Mt > cfg.D())
    throw_range("Expected a target size between 1 and " + std::to_string(cfg.max_trg()) +
                " with ctxSize + trgSize <= " + std::to_string(cfg.D()) + " for masks.trgSize but received " + std::to_string(Mt));
}

void clip_and_adamw(const Backend& be, ParamSet& ps, const ModelConfig& cfg, double loss, double grad_norm, float lr,
                    int64_t step) {
  if (!std::isfinite(loss) || !std::isfinite(grad_norm))
    throw Error("training diverged: the loss or gradient is not finite (loss " + std::to_string(loss) +
                ", gradient norm " + std::to_string(grad_norm) + "); the parameters were not updated");
  if (cfg.clipNorm > 0 && grad_norm > cfg.clipNorm)
    be.scale_inplace(ps.grads.data(), static_cast<float>(cfg.clipNorm / (grad_norm + 1e-6)), ps.size());
  AdamwHparams h{lr, cfg.beta1, cfg.beta2, cfg.eps, cfg.weightDecay, static_cast<int>(step)};
  be.adamw_update(ps.values.data(), ps.m.data(), ps.v.data(), ps.grads.data(), ps.decay_mask.data(), h, ps.size());
}

int piece_rows(const ModelConfig& cfg) {
  const int cap = (cfg.batchSize + 15) / 16;
  return cfg.trainPieceRows > cap ? cfg.trainPieceRows : cap;
}

StepMasks piece_masks(const StepMasks& m, int K, int B, int r0, int n, std::vector<int32_t>& trg) {
  trg.resize(static_cast<size_t>(K) * n * m.Mt);
  for (int k = 0; k < K; ++k)
    std::memcpy(trg.data() + static_cast<size_t>(k) * n * m.Mt, m.trg + (static_cast<int64_t>(k) * B + r0) * m.Mt,
                static_cast<size_t>(n) * m.Mt * sizeof(int32_t));
  StepMasks pm;
  pm.Mc = m.Mc;
  pm.Mt = m.Mt;
  pm.ctx = m.ctx + static_cast<int64_t>(r0) * m.Mc;
  pm.trg = trg.data();
  return pm;
}

double sum_piece_grads(const Backend& be, ParamSet& out, const std::vector<const float*>& g, const std::vector<float>& w) {
  float* dst = out.grads.data();
  const size_t P = g.size();
  parallel_for(out.size(), 1 << 14, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      float s = w[0] * g[0][j];
      for (size_t i = 1; i < P; ++i) s += w[i] * g[i][j];
      dst[j] = s;
    }
  });
  return std::sqrt(be.sum_squares(dst, out.size()));
}

}  // namespace vj
