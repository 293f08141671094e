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

void FeatureDecoder::allocate(int64_t maxTokens, const Backend* be) {
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
  arena_.allocate(be);
  perm_.resize(static_cast<size_t>(N));
  inv_.resize(static_cast<size_t>(N));
  target_.resize(static_cast<size_t>(N));
  target_num_.resize(static_cast<size_t>(N));
  if (be && be->on_device) {  // the per-call uploads at their largest
    perm_dev_.reserve(*be, N);
    target_dev_.reserve(*be, N);
    target_num_dev_.reserve(*be, N);
  }
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
  // targets by sorted position: class codes (categorical), values (numeric)
  for (int j = 0; j < D_; ++j) {
    const int o = offsets_[static_cast<size_t>(j)], n = offsets_[static_cast<size_t>(j) + 1] - o;
    const bool cat = cards_[static_cast<size_t>(j)] > 0;
    for (int i = 0; i < n; ++i) {
      const int r = row[perm_[static_cast<size_t>(o + i)]];
      const float v = x[static_cast<int64_t>(r) * D_ + j];
      target_[static_cast<size_t>(o + i)] = cat ? static_cast<int32_t>(v) : 0;
      target_num_[static_cast<size_t>(o + i)] = cat ? 0.f : v;
    }
  }
  perm_b_ = on_backend(be, perm_dev_, perm_.data(), N);
  target_b_ = on_backend(be, target_dev_, target_.data(), N);
  target_num_b_ = on_backend(be, target_num_dev_, target_num_.data(), N);
  float* g = arena_.ptr(gathered_);
  be.index_select_forward(g, tokens, perm_b_, IndexDims{N, N, C_});
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
      be.softmax_ce_forward(loss + o, probs + off, lg, target_b_ + o, RowDims{n, card});
    } else {
      be.gauss_nll_forward(loss + o, lg, target_num_b_ + o, ps.p(logvar_), n);
    }
    off += static_cast<int64_t>(n) * out;
  }
  out_off_[static_cast<size_t>(D_)] = off;
  const float* lh = on_host(be, static_cast<const float*>(loss), N, loss_host_);
  double sum = 0;
  for (int n = 0; n < N; ++n) sum += lh[n];
  return sum;
}

void FeatureDecoder::backward(const Backend& be, ParamSet& ps, float* dtokens, float scale) {
  const int N = N_;
  float *dloss = arena_.ptr(dloss_), *dlogits = arena_.ptr(dlogits_), *dg = arena_.ptr(dgathered_);
  const float *g = arena_.ptr(gathered_), *logits = arena_.ptr(logits_), *probs = arena_.ptr(probs_);
  be.fill_forward(dloss, scale, N);
  be.mem_set(dlogits, 0, out_off_[static_cast<size_t>(D_)] * static_cast<int64_t>(sizeof(float)));
  be.mem_set(dg, 0, static_cast<int64_t>(N) * C_ * static_cast<int64_t>(sizeof(float)));
  for (int j = 0; j < D_; ++j) {
    const int o = offsets_[static_cast<size_t>(j)], n = offsets_[static_cast<size_t>(j) + 1] - o;
    if (n == 0) continue;
    const int card = cards_[static_cast<size_t>(j)], out = card > 0 ? card : 1;
    const int64_t off = out_off_[static_cast<size_t>(j)];
    if (card > 0) {
      be.softmax_ce_backward(dlogits + off, dloss + o, probs + off, target_b_ + o, RowDims{n, card});
    } else {
      be.gauss_nll_backward(dlogits + off, ps.g(logvar_), dloss + o, logits + off, target_num_b_ + o, ps.p(logvar_), n);
    }
    const int h = heads_[static_cast<size_t>(j)];
    be.linear_backward(dg + static_cast<int64_t>(o) * C_, ps.g(h), ps.g(h + 1), dlogits + off,
                       g + static_cast<int64_t>(o) * C_, ps.p(h), MatDims{n, C_, out});
  }
  be.index_select_backward(dtokens, dg, perm_b_, IndexDims{N, N, C_});
}

void FeatureDecoder::fetch_outputs(const Backend& be) {
  const int64_t n = out_off_[static_cast<size_t>(D_)];
  logits_h_ = on_host(be, static_cast<const float*>(arena_.ptr(logits_)), n, logits_host_);
  probs_h_ = on_host(be, static_cast<const float*>(arena_.ptr(probs_)), n, probs_host_);
}

int FeatureDecoder::decoded(int n, float* out) const {
  const int pos = inv_[static_cast<size_t>(n)];
  int j = 0;
  while (offsets_[static_cast<size_t>(j) + 1] <= pos) ++j;
  const int card = cards_[static_cast<size_t>(j)];
  const int i = pos - offsets_[static_cast<size_t>(j)];
  const int64_t off = out_off_[static_cast<size_t>(j)];
  if (card > 0) {
    std::memcpy(out, probs_h_ + off + static_cast<int64_t>(i) * card, static_cast<size_t>(card) * sizeof(float));
    return card;
  }
  out[0] = logits_h_[off + i];
  return 1;
}

}  // namespace vj
