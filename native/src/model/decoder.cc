#include "model/decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/threadpool.h"

namespace vj {

void FeatureDecoder::declare(ParamSet& ps, const std::string& name, const std::vector<int>& cards, int C) {
  cards_ = cards;
  C_ = C;
  D_ = static_cast<int>(cards.size());
  for (int j = 0; j < D_; ++j) {
    int out = cards[static_cast<size_t>(j)] > 0 ? cards[static_cast<size_t>(j)] : 1;
    heads_.push_back(ps.add_linear(name + ".heads." + std::to_string(j), C, out));
  }
  logvar_ = ps.add(name + ".logvar", {1}, Init::Zero, 0.f, false);
}

void FeatureDecoder::allocate(int64_t maxTokens) {
  maxTokens_ = maxTokens;
  int maxOut = 1;
  for (int c : cards_) maxOut = c > maxOut ? c : maxOut;
  const int N = static_cast<int>(maxTokens);
  gathered_ = arena_.add("gathered", {N, C_});
  dgathered_ = arena_.add("dgathered", {N, C_});
  logits_ = arena_.add("logits", {N, maxOut});
  probs_ = arena_.add("probs", {N, maxOut});
  dlogits_ = arena_.add("dlogits", {N, maxOut});
  loss_ = arena_.add("loss", {N});
  dloss_ = arena_.add("dloss", {N});
  arena_.allocate();
  perm_.resize(static_cast<size_t>(N));
  inv_.resize(static_cast<size_t>(N));
  target_.resize(static_cast<size_t>(N));
  offsets_.resize(static_cast<size_t>(D_) + 1);
  cursor_.resize(static_cast<size_t>(D_));
  out_off_.resize(static_cast<size_t>(D_) + 1);
}

double FeatureDecoder::forward(const Backend& be, const ParamSet& ps, const float* tokens, const int32_t* feat,
                               const int32_t* row, const float* x, int N) {
  if (N > maxTokens_) throw Error("internal: decoder tokens exceed the arena");
  N_ = N;
  // stable counting sort of tokens by feature
  std::fill(offsets_.begin(), offsets_.end(), 0);
  for (int n = 0; n < N; ++n) offsets_[static_cast<size_t>(feat[n]) + 1]++;
  for (int j = 0; j < D_; ++j) offsets_[static_cast<size_t>(j) + 1] += offsets_[static_cast<size_t>(j)];
  for (int j = 0; j < D_; ++j) cursor_[static_cast<size_t>(j)] = offsets_[static_cast<size_t>(j)];
  for (int n = 0; n < N; ++n) {
    int32_t pos = cursor_[static_cast<size_t>(feat[n])]++;
    perm_[static_cast<size_t>(pos)] = n;
    inv_[static_cast<size_t>(n)] = pos;
  }
  float* g = arena_.ptr(gathered_);
  be.index_select_forward(g, tokens, perm_.data(), IndexDims{N, N, C_});
  float *logits = arena_.ptr(logits_), *probs = arena_.ptr(probs_), *loss = arena_.ptr(loss_);
  int64_t off = 0;
  for (int j = 0; j < D_; ++j) {
    const int o = offsets_[static_cast<size_t>(j)], n = offsets_[static_cast<size_t>(j) + 1] - o;
    const int card = cards_[static_cast<size_t>(j)], out = card > 0 ? card : 1;
    out_off_[static_cast<size_t>(j)] = off;
    if (n == 0) continue;
    float* lg = logits + off;
    be.linear_forward(lg, g + static_cast<int64_t>(o) * C_, ps.p(heads_[static_cast<size_t>(j)]),
                      ps.p(heads_[static_cast<size_t>(j)] + 1), MatDims{n, C_, out});
    if (card > 0) {
      for (int i = 0; i < n; ++i) {
        int r = row[perm_[static_cast<size_t>(o + i)]];
        target_[static_cast<size_t>(o + i)] = static_cast<int32_t>(x[static_cast<int64_t>(r) * D_ + j]);
      }
      be.softmax_ce_forward(loss + o, probs + off, lg, target_.data() + o, RowDims{n, card});
    } else {
      float* tgt = probs + off;  // numeric targets kept beside their predictions
      for (int i = 0; i < n; ++i) {
        int r = row[perm_[static_cast<size_t>(o + i)]];
        tgt[i] = x[static_cast<int64_t>(r) * D_ + j];
      }
      be.gauss_nll_forward(loss + o, lg, tgt, ps.p(logvar_), n);
    }
    off += static_cast<int64_t>(n) * out;
  }
  out_off_[static_cast<size_t>(D_)] = off;
  double sum = 0;
  for (int n = 0; n < N; ++n) sum += loss[n];
  return sum;
}

void FeatureDecoder::backward(const Backend& be, ParamSet& ps, float* dtokens, float scale) {
  const int N = N_;
  float *dloss = arena_.ptr(dloss_), *dlogits = arena_.ptr(dlogits_), *dg = arena_.ptr(dgathered_);
  const float *g = arena_.ptr(gathered_), *logits = arena_.ptr(logits_), *probs = arena_.ptr(probs_);
  for (int n = 0; n < N; ++n) dloss[n] = scale;
  parallel_zero(dlogits, out_off_[static_cast<size_t>(D_)]);
  parallel_zero(dg, static_cast<int64_t>(N) * C_);
  for (int j = 0; j < D_; ++j) {
    const int o = offsets_[static_cast<size_t>(j)], n = offsets_[static_cast<size_t>(j) + 1] - o;
    if (n == 0) continue;
    const int card = cards_[static_cast<size_t>(j)], out = card > 0 ? card : 1;
    const int64_t off = out_off_[static_cast<size_t>(j)];
    if (card > 0) {
      be.softmax_ce_backward(dlogits + off, dloss + o, probs + off, target_.data() + o, RowDims{n, card});
    } else {
      be.gauss_nll_backward(dlogits + off, ps.g(logvar_), dloss + o, logits + off, probs + off, ps.p(logvar_), n);
    }
    const int h = heads_[static_cast<size_t>(j)];
    be.linear_backward(dg + static_cast<int64_t>(o) * C_, ps.g(h), ps.g(h + 1), dlogits + off,
                       g + static_cast<int64_t>(o) * C_, ps.p(h), MatDims{n, C_, out});
  }
  be.index_select_backward(dtokens, dg, perm_.data(), IndexDims{N, N, C_});
}

int FeatureDecoder::decoded(int n, float* out) const {
  const int pos = inv_[static_cast<size_t>(n)];
  int j = 0;
  while (offsets_[static_cast<size_t>(j) + 1] <= pos) ++j;
  const int card = cards_[static_cast<size_t>(j)];
  const int i = pos - offsets_[static_cast<size_t>(j)];
  const int64_t off = out_off_[static_cast<size_t>(j)];
  if (card > 0) {
    std::memcpy(out, arena_.ptr(probs_) + off + static_cast<int64_t>(i) * card, static_cast<size_t>(card) * sizeof(float));
    return card;
  }
  out[0] = arena_.ptr(logits_)[off + i];
  return 1;
}

}  // namespace vj
