#include "eval/mlp_probe.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "engine/error.h"
#include "engine/philox.h"

namespace vj {
namespace {

constexpr int kEvalChunk = 256;  // rows per forward pass when scoring or predicting

// SplitMix64 finaliser: independent streams from (seed, salt)
uint64_t mix(uint64_t seed, uint64_t salt) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (salt + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void check_finite(const float* x, int64_t n, int F, const char* what) {
  for (int64_t i = 0; i < n * F; ++i)
    if (!std::isfinite(x[i]))
      throw_range(std::string("Expected finite values in ") + what + " but row " + std::to_string(i / F) + ", column " +
                  std::to_string(i % F) + " holds " + std::to_string(x[i]));
}

void check_labels(const int32_t* y, int64_t n, int K, const char* what) {
  for (int64_t i = 0; i < n; ++i)
    if (y[i] < 0 || y[i] >= K)
      throw_range(std::string("Expected class indices in [0, ") + std::to_string(K) + ") in " + what + " but received " +
                  std::to_string(y[i]) + " at index " + std::to_string(i));
}

}  // namespace

MlpProbe::MlpProbe(const MlpProbeConfig& cfg, const Backend& be) : cfg_(cfg), be_(be) {
  if (cfg.features < 1 || cfg.classes < 2 || cfg.batchSize < 1)
    throw_range("internal: MlpProbe needs features >= 1, classes >= 2, batchSize >= 1");
  if (!be.linear_forward_fn || !be.linear_backward_fn || !be.relu_forward_fn || !be.relu_backward_fn || !be.dropout_forward_fn ||
      !be.dropout_backward_fn || !be.softmax_ce_forward_fn || !be.softmax_ce_backward_fn || !be.adamw_update_fn)
    throw Error(std::string("the '") + be.name + "' backend lacks ops the MLP probe needs");
  R_ = std::max(cfg.batchSize, kEvalChunk);
  // parameters: Linear(F, H1), ..., Linear(H_last, K), PyTorch's default uniform init;
  // weight decay on the weights only (never biases), as for the models
  int in = cfg.features;
  for (size_t l = 0; l <= cfg.hidden.size(); ++l) {
    int out = l < cfg.hidden.size() ? cfg.hidden[l] : cfg.classes;
    w_.push_back(ps_.add_linear("layers." + std::to_string(l), in, out));
    width_.push_back(out);
    in = out;
  }
  ps_.allocate();
  best_.assign(static_cast<size_t>(ps_.size()), 0.f);
  // activations
  xb_ = act_.add("xb", {R_, cfg.features});
  for (size_t l = 0; l < cfg.hidden.size(); ++l) {
    const int H = cfg.hidden[l];
    const std::string s = std::to_string(l);
    a_.push_back(act_.add("a" + s, {R_, H}));
    h_.push_back(act_.add("h" + s, {R_, H}));
    d_.push_back(act_.add("d" + s, {R_, H}));
    da_.push_back(act_.add("da" + s, {R_, H}));
    dh_.push_back(act_.add("dh" + s, {R_, H}));
    dd_.push_back(act_.add("dd" + s, {R_, H}));
    mask_.emplace_back(static_cast<size_t>(R_) * H);
  }
  logits_ = act_.add("logits", {R_, cfg.classes});
  probs_ = act_.add("probs", {R_, cfg.classes});
  dlogits_ = act_.add("dlogits", {R_, cfg.classes});
  loss_ = act_.add("loss", {R_});
  dloss_ = act_.add("dloss", {R_});
  act_.allocate();
  yb_.resize(static_cast<size_t>(R_));
  mean_.assign(static_cast<size_t>(cfg.features), 0.f);
  rstd_.assign(static_cast<size_t>(cfg.features), 1.f);
}

// mean and 1/std per column over the training rows, in double (population variance; a
// constant column keeps scale 1)
void MlpProbe::import_state(const float* params, int64_t n_params, const float* mean, const float* rstd, int64_t n_features) {
  if (n_params != ps_.size()) throw_range("Expected state.params of " + std::to_string(ps_.size()) + " values but received " + std::to_string(n_params));
  if (n_features != cfg_.features) throw_range("Expected state.mean and state.rstd of " + std::to_string(cfg_.features) + " values but received " + std::to_string(n_features));
  auto finite = [](const float* v, int64_t n, const char* what) {
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(v[i])) throw_range(std::string("Expected finite values in ") + what + " but value " + std::to_string(i) + " is not");
    }
  };
  finite(params, n_params, "state.params");
  finite(mean, n_features, "state.mean");
  finite(rstd, n_features, "state.rstd");
  std::copy(params, params + n_params, ps_.values.data());
  std::copy(mean, mean + n_features, mean_.data());
  std::copy(rstd, rstd + n_features, rstd_.data());
}

void MlpProbe::standardize_stats(const float* x, int64_t rows) {
  const int F = cfg_.features;
  std::fill(mean_.begin(), mean_.end(), 0.f);
  std::fill(rstd_.begin(), rstd_.end(), 1.f);
  if (!cfg_.standardize) return;
  std::vector<double> s(static_cast<size_t>(F), 0.0), sq(static_cast<size_t>(F), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * F;
    for (int j = 0; j < F; ++j) {
      s[static_cast<size_t>(j)] += row[j];
      sq[static_cast<size_t>(j)] += static_cast<double>(row[j]) * row[j];
    }
  }
  for (int j = 0; j < F; ++j) {
    const double m = s[static_cast<size_t>(j)] / static_cast<double>(rows);
    const double var = std::max(sq[static_cast<size_t>(j)] / static_cast<double>(rows) - m * m, 0.0);
    mean_[static_cast<size_t>(j)] = static_cast<float>(m);
    rstd_[static_cast<size_t>(j)] = var > 1e-12 ? static_cast<float>(1.0 / std::sqrt(var)) : 1.f;
  }
}

void MlpProbe::gather(const float* x, const int32_t* idx, int64_t r0, int n) {
  const int F = cfg_.features;
  float* xb = act_.ptr(xb_);
  for (int i = 0; i < n; ++i) {
    const float* src = x + (idx ? static_cast<int64_t>(idx[i]) : r0 + i) * F;
    float* dst = xb + static_cast<int64_t>(i) * F;
    for (int j = 0; j < F; ++j) dst[j] = (src[j] - mean_[static_cast<size_t>(j)]) * rstd_[static_cast<size_t>(j)];
  }
}

// xb (n, F) -> per hidden layer l: a_l = linear(in), h_l = relu(a_l), d_l = dropout(h_l)
// (train only; eval reads h_l) -> logits (n, K) = linear(last)
float* MlpProbe::forward(int n, bool train, uint64_t step) {
  const float* in = act_.ptr(xb_);
  int in_w = cfg_.features;
  const uint64_t drop_seed = mix(cfg_.seed, 1000003ull + step);
  for (size_t l = 0; l < cfg_.hidden.size(); ++l) {
    const int H = cfg_.hidden[l];
    float *a = act_.ptr(a_[l]), *h = act_.ptr(h_[l]);
    be_.linear_forward(a, in, ps_.p(w_[l]), ps_.p(w_[l] + 1), MatDims{n, in_w, H});
    be_.relu_forward(h, a, static_cast<int64_t>(n) * H);
    if (train && cfg_.dropout > 0.f) {
      float* d = act_.ptr(d_[l]);
      // each layer draws from its own stretch of the step's mask stream
      be_.dropout_forward(d, mask_[l].data(), h, cfg_.dropout, drop_seed, static_cast<uint64_t>(l) << 40,
                          static_cast<int64_t>(n) * H);
      in = d;
    } else {
      in = h;
    }
    in_w = H;
  }
  float* logits = act_.ptr(logits_);
  const size_t L = cfg_.hidden.size();
  be_.linear_forward(logits, in, ps_.p(w_[L]), ps_.p(w_[L] + 1), MatDims{n, in_w, cfg_.classes});
  return logits;
}

// d(mean_i CE_i)/d params, accumulated into the zeroed gradient arena. Differentiates, from the
// head down: logits = d_last . W^T + b, d_l = dropout(h_l), h_l = relu(a_l), a_l = in_l . W_l^T + b_l
void MlpProbe::backward(int n) {
  const int K = cfg_.classes;
  ps_.grads.zero();
  float* dlogits = act_.ptr(dlogits_);
  float* dloss = act_.ptr(dloss_);
  std::memset(dlogits, 0, sizeof(float) * static_cast<size_t>(n) * K);
  for (int i = 0; i < n; ++i) dloss[i] = 1.0f / static_cast<float>(n);
  be_.softmax_ce_backward(dlogits, dloss, act_.ptr(probs_), yb_.data(), RowDims{n, K});
  const bool drop = cfg_.dropout > 0.f;
  const size_t L = cfg_.hidden.size();
  // gradient flowing into layer l's output, and layer l's input
  const float* dout = dlogits;
  int out_w = K;
  for (size_t l = L + 1; l-- > 0;) {
    const int in_w = l == 0 ? cfg_.features : cfg_.hidden[l - 1];
    const float* in = l == 0 ? act_.ptr(xb_) : (drop ? act_.ptr(d_[l - 1]) : act_.ptr(h_[l - 1]));
    float* din = nullptr;
    if (l > 0) {
      din = drop ? act_.ptr(dd_[l - 1]) : act_.ptr(dh_[l - 1]);
      std::memset(din, 0, sizeof(float) * static_cast<size_t>(n) * in_w);
    }
    be_.linear_backward(din, ps_.g(w_[l]), ps_.g(w_[l] + 1), dout, in, ps_.p(w_[l]), MatDims{n, in_w, out_w});
    if (l == 0) break;
    const int64_t m = static_cast<int64_t>(n) * in_w;
    float* dh = act_.ptr(dh_[l - 1]);
    if (drop) {
      std::memset(dh, 0, sizeof(float) * static_cast<size_t>(m));
      be_.dropout_backward(dh, din, mask_[l - 1].data(), cfg_.dropout, m);
    }
    float* da = act_.ptr(da_[l - 1]);
    std::memset(da, 0, sizeof(float) * static_cast<size_t>(m));
    be_.relu_backward(da, dh, act_.ptr(a_[l - 1]), m);
    dout = da;
    out_w = in_w;
  }
}

double MlpProbe::accuracy(const float* x, const int32_t* y, int64_t rows) {
  const int K = cfg_.classes;
  int64_t ok = 0;
  for (int64_t r0 = 0; r0 < rows; r0 += kEvalChunk) {
    const int n = static_cast<int>(std::min<int64_t>(kEvalChunk, rows - r0));
    gather(x, nullptr, r0, n);
    const float* logits = forward(n, false, 0);
    for (int i = 0; i < n; ++i) {
      int best = 0;  // first maximum, as argmax
      for (int k = 1; k < K; ++k)
        if (logits[i * K + k] > logits[i * K + best]) best = k;
      ok += best == y[r0 + i];
    }
  }
  return static_cast<double>(ok) / static_cast<double>(rows);
}

MlpFitReport MlpProbe::fit(const MlpFitArgs& a) {
  const int F = cfg_.features, K = cfg_.classes, B = cfg_.batchSize;
  if (a.rows < 1) throw_range("Expected at least 1 training row in x");
  check_finite(a.x, a.rows, F, "x");
  check_labels(a.y, a.rows, K, "y");
  if (a.valRows > 0) {
    check_finite(a.xVal, a.valRows, F, "validation.x");
    check_labels(a.yVal, a.valRows, K, "validation.y");
  }
  abort_.store(false);
  ps_.initialise(mix(cfg_.seed, 0));
  ps_.m.zero();
  ps_.v.zero();
  standardize_stats(a.x, a.rows);
  perm_.resize(static_cast<size_t>(a.rows));
  const uint64_t shuffle_seed = mix(cfg_.seed, 2);
  MlpFitReport rep;
  int since_best = 0;
  int step = 0;
  const int64_t steps_per_epoch = (a.rows + B - 1) / B;
  for (int e = 0; e < a.epochs && !rep.aborted; ++e) {
    // Fisher-Yates shuffle from the epoch's stretch of the Philox stream
    for (int64_t i = 0; i < a.rows; ++i) perm_[static_cast<size_t>(i)] = static_cast<int32_t>(i);
    for (int64_t i = a.rows - 1; i > 0; --i) {
      float u = philox_uniform(shuffle_seed, static_cast<uint64_t>(e) * static_cast<uint64_t>(a.rows) + static_cast<uint64_t>(i));
      int64_t j = std::min<int64_t>(static_cast<int64_t>(static_cast<double>(u) * static_cast<double>(i + 1)), i);
      std::swap(perm_[static_cast<size_t>(i)], perm_[static_cast<size_t>(j)]);
    }
    double loss_sum = 0;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      if (abort_.load()) {
        rep.aborted = true;
        break;
      }
      const int64_t r0 = s * B;
      const int n = static_cast<int>(std::min<int64_t>(B, a.rows - r0));
      const int32_t* idx = perm_.data() + r0;
      gather(a.x, idx, 0, n);
      for (int i = 0; i < n; ++i) yb_[static_cast<size_t>(i)] = a.y[idx[i]];
      const float* logits = forward(n, true, static_cast<uint64_t>(step));
      float* loss = act_.ptr(loss_);
      be_.softmax_ce_forward(loss, act_.ptr(probs_), logits, yb_.data(), RowDims{n, K});
      for (int i = 0; i < n; ++i) loss_sum += loss[i];
      backward(n);
      ++step;
      AdamwHparams h{cfg_.lr, cfg_.beta1, cfg_.beta2, cfg_.eps, cfg_.weightDecay, step};
      be_.adamw_update(ps_.values.data(), ps_.m.data(), ps_.v.data(), ps_.grads.data(), ps_.decay_mask.data(), h,
                       ps_.size());
    }
    if (rep.aborted) break;
    rep.epochs = e + 1;
    rep.loss.push_back(loss_sum / static_cast<double>(a.rows));
    if (a.valRows > 0) {
      const double acc = accuracy(a.xVal, a.yVal, a.valRows);
      rep.valAccuracy.push_back(acc);
      if (acc > rep.bestAccuracy) {  // strictly better: the earliest of equal scores is kept
        rep.bestAccuracy = acc;
        rep.bestEpoch = e + 1;
        ps_.values.read(best_.data(), 0, static_cast<int64_t>(best_.size()));
        since_best = 0;
      } else if (a.patience > 0 && ++since_best >= a.patience) {
        rep.stoppedEarly = true;
        break;
      }
    } else {
      rep.bestEpoch = e + 1;
    }
  }
  if (a.valRows > 0 && rep.bestEpoch > 0) ps_.values.write(best_.data(), 0, static_cast<int64_t>(best_.size()));
  return rep;
}

void MlpProbe::predict_proba(const float* x, int64_t rows, float* probs) {
  const int F = cfg_.features, K = cfg_.classes;
  check_finite(x, rows, F, "x");
  for (int64_t r0 = 0; r0 < rows; r0 += kEvalChunk) {
    const int n = static_cast<int>(std::min<int64_t>(kEvalChunk, rows - r0));
    gather(x, nullptr, r0, n);
    const float* logits = forward(n, false, 0);
    for (int i = 0; i < n; ++i) {
      const float* lg = logits + static_cast<int64_t>(i) * K;
      float* p = probs + (r0 + i) * K;
      float mx = lg[0];
      for (int k = 1; k < K; ++k) mx = std::max(mx, lg[k]);
      double s = 0;
      for (int k = 0; k < K; ++k) s += std::exp(static_cast<double>(lg[k] - mx));
      for (int k = 0; k < K; ++k) p[k] = static_cast<float>(std::exp(static_cast<double>(lg[k] - mx)) / s);
    }
  }
}

}  // namespace vj
