// Per-feature decoders p(x | s) (docs/model.md, section 4 (V), (VI); Eq. 21, 49-50): one Linear head per
// feature, d -> 1 for numeric features (Gaussian likelihood with one learned global log-variance)
// and d -> C_j for categorical features (softmax cross-entropy). Tokens arrive in any order with
// their feature ids; they are grouped by feature (a stable counting sort) so each head runs one
// matrix multiply over its tokens. The grouping and the targets are computed on the host (from
// the host feature ids and rows) and uploaded; activations live in the backend's memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/arena.h"
#include "engine/backend.h"
#include "engine/device_array.h"
#include "model/params.h"

namespace vj {

class FeatureDecoder {
 public:
  void declare(ParamSet& ps, const std::string& name, const std::vector<int>& cards, int C);
  void allocate(int64_t maxTokens, const Backend* be = nullptr);
  // bytes of its activations (sized by allocate)
  int64_t bytes() const { return arena_.total() * static_cast<int64_t>(sizeof(float)); }

  // tokens (N, C) in the backend's memory; feat (N) feature ids, row (N) the table row of each
  // token and x (rows, D) on the host. Writes the per-token negative log-likelihood and returns
  // its sum.
  double forward(const Backend& be, const ParamSet& ps, const float* tokens, const int32_t* feat,
                 const int32_t* row, const float* x, int N);
  // dtokens (N, C) += d(scale * sum of per-token losses)/d tokens; parameter gradients +=
  void backward(const Backend& be, ParamSet& ps, float* dtokens, float scale);

  // After forward, fetch_outputs copies the predictions to the host once; then decoded gives
  // the output of token n: numeric -> predicted value (out[0]), categorical -> class
  // probabilities (out[0..C_j)). Returns the number of values written.
  void fetch_outputs(const Backend& be);
  int decoded(int n, float* out) const;
  int logvar_id() const { return logvar_; }

 private:
  std::vector<int> cards_;       // 0 numeric, else category count
  std::vector<int> heads_;       // weight id per feature (bias = id + 1)
  int logvar_ = -1;
  int C_ = 0, D_ = 0, N_ = 0;
  int64_t maxTokens_ = 0;
  // per call
  std::vector<int32_t> perm_, inv_, offsets_, cursor_, target_;
  std::vector<float> target_num_;  // (N) numeric targets, by sorted position
  std::vector<int64_t> out_off_;  // logits offset per feature
  // the per-call index lists and targets in the backend's memory (host vectors on a host backend)
  DeviceArray<int32_t> perm_dev_, target_dev_;
  DeviceArray<float> target_num_dev_;
  const int32_t *perm_b_ = nullptr, *target_b_ = nullptr;
  const float* target_num_b_ = nullptr;
  std::vector<float> loss_host_, logits_host_, probs_host_;
  const float *logits_h_ = nullptr, *probs_h_ = nullptr;  // host-readable predictions
  Arena arena_;
  int gathered_, logits_, probs_, loss_, dgathered_, dlogits_, dloss_;
};

}  // namespace vj
