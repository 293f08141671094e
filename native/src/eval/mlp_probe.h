// The downstream MLP probe of the paper (docs/model.md, section 11): Linear -> ReLU -> Dropout per
// hidden layer (two of 128 by default), a Linear head, softmax cross-entropy, AdamW, minibatches
// reshuffled every epoch, early stopping on validation accuracy keeping the best parameters.
// Composed from the backend ops (linear, relu, dropout, softmax_ce, adamw_update), so it runs
// on the fast CPU kernels; seeded (init, shuffles, dropout) and thread-count independent.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "engine/arena.h"
#include "engine/backend.h"
#include "model/params.h"

namespace vj {

// Field names match the TypeScript MlpProbeOptions (lib/eval/mlp-probe.ts).
struct MlpProbeConfig {
  int features = 0;          // F: input width
  int classes = 0;           // K: output classes
  std::vector<int> hidden;   // widths of the hidden layers, e.g. {128, 128}; empty = softmax regression
  float dropout = 0.1f;      // after every hidden ReLU
  float lr = 1e-3f, weightDecay = 0.01f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  int batchSize = 128;
  bool standardize = true;   // z-score inputs with the training rows' mean and std
  uint64_t seed = 0;         // parameters, shuffles and dropout masks
};

// One fit: training rows, optional validation rows (valRows 0 = none), epochs, patience
// (0 = never stop early). x (rows, F), y (rows) in [0, K); xVal (valRows, F), yVal (valRows).
struct MlpFitArgs {
  const float* x;
  const int32_t* y;
  int64_t rows;
  const float* xVal;
  const int32_t* yVal;
  int64_t valRows;
  int epochs;
  int patience;
};

struct MlpFitReport {
  int epochs = 0;            // epochs run
  int bestEpoch = 0;         // 1-based epoch whose parameters are kept (the last without validation)
  double bestAccuracy = -1;  // validation accuracy of bestEpoch, -1 without validation
  bool stoppedEarly = false;
  bool aborted = false;
  std::vector<double> loss;         // mean training loss per epoch
  std::vector<double> valAccuracy;  // validation accuracy per epoch (empty without validation)
};

class MlpProbe {
 public:
  MlpProbe(const MlpProbeConfig& cfg, const Backend& be);

  // Fits from freshly initialised parameters (a second fit starts over). Throws vj::Error
  // (Range) naming x / y / xVal / yVal on non-finite values or labels out of range.
  MlpFitReport fit(const MlpFitArgs& a);
  // probs (rows, K): class probabilities, eval mode (no dropout)
  void predict_proba(const float* x, int64_t rows, float* probs);
  // asks a running fit to stop after the current step (callable from any thread)
  void abort() { abort_.store(true); }

  const MlpProbeConfig& config() const { return cfg_; }
  const char* backend_name() const { return be_.name; }
  int64_t param_count() const { return ps_.size(); }
  const float* params() const { return ps_.values.data(); }
  // the fitted state a saved probe needs besides its config: parameters (param_count()) and the
  // input standardisation mean and 1/std (features each)
  const float* input_mean() const { return mean_.data(); }
  const float* input_rstd() const { return rstd_.data(); }
  // restores what params(), input_mean() and input_rstd() gave; throws vj::Error (Range) naming
  // the array on a wrong length or a non-finite value
  void import_state(const float* params, int64_t n_params, const float* mean, const float* rstd, int64_t n_features);

 private:
  void standardize_stats(const float* x, int64_t rows);
  // xb (n, F) = standardised rows idx[0..n) of x, or rows r0..r0+n when idx is null
  void gather(const float* x, const int32_t* idx, int64_t r0, int n);
  // logits (n, K) of the batch in xb; train = with dropout, seeded by step
  float* forward(int n, bool train, uint64_t step);
  // parameter gradients of mean CE over the n rows (forward(n, true) ran before)
  void backward(int n);
  double accuracy(const float* x, const int32_t* y, int64_t rows);

  MlpProbeConfig cfg_;
  const Backend& be_;
  int R_;  // rows the activation buffers hold: max(batchSize, eval chunk)
  ParamSet ps_;
  std::vector<int> w_;  // weight id of each linear layer (bias id = w + 1)
  std::vector<int> width_;  // output width of each linear layer (hidden..., K)
  // activations (R, width) per layer: a = pre-activation, h = relu(a), d = dropout(h), and the
  // gradients of each; xb (R, F); logits, probs, dlogits (R, K); loss, dloss (R)
  Arena act_;
  int xb_, logits_, probs_, dlogits_, loss_, dloss_;
  std::vector<int> a_, h_, d_, da_, dh_, dd_;
  std::vector<std::vector<uint8_t>> mask_;  // dropout masks (R * width) per hidden layer
  std::vector<int32_t> yb_;
  std::vector<int32_t> perm_;
  std::vector<float> mean_, rstd_;  // (F) input standardisation
  std::vector<float> best_;          // parameters of the best epoch
  std::atomic<bool> abort_{false};
};

}  // namespace vj
