// The T-JEPA baseline (docs/model.md, section 10; Thimonier et al., App. D.4): a deterministic
// joint-embedding predictive architecture on the same engine as Var-T-JEPA.
//   context encoder   tokeniser (Eq. 27) + CLS + L post-norm blocks + encoder tail; trained
//   target encoder    the same architecture, its own ParamSet, an EMA copy of the context
//                     encoder (no gradient); sees all D features
//   predictor         width dp, Lp blocks, LN, one Linear(dp, d) head at the query positions;
//                     N_aux learnable auxiliary tokens; batched over the K masks
// Loss (Eq. 56): mean squared error between the predicted tokens and the target-encoder tokens
// at the target positions. One training step: forward, backward into the context encoder and
// predictor, clipping, AdamW (shared with Var-T-JEPA), then the EMA update of the target encoder.
// Every buffer an op touches is in the backend's memory (device memory on CUDA); per-step inputs
// are uploaded into model-owned buffers and the host reads the loss and embeddings back by copy.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/arena.h"
#include "engine/backend.h"
#include "engine/device_array.h"
#include "model/common.h"
#include "model/config.h"
#include "model/params.h"
#include "model/transformer.h"

namespace vj {

// ModelConfig's fields that T-JEPA reads (the variational ones are ignored) plus N_aux.
struct TJepaConfig : ModelConfig {
  int nAux = 1;  // learnable auxiliary tokens in the predictor input (Eq. 57) [decision: 1]
};

// Per-step schedule: learning rate, EMA momentum of the target encoder, dropout seed.
struct TJepaSchedule {
  float lr = 1e-3f;
  float momentum = 0.996f;
  uint64_t noiseSeed = 0;
};

struct TJepaLoss {
  double loss = 0, gradNorm = 0;
};

class TJepa {
 public:
  TJepa(const TJepaConfig& cfg, const Backend& be);

  // One optimiser step on rows x (B, D), then the EMA update with sched.momentum. Returns the
  // loss (before the update) and the gradient norm (before clipping).
  TJepaLoss train_step(const float* x, int B, const StepMasks& masks, const TJepaSchedule& sched);
  // Forward and (optionally) backward without any update; gradients left in params().grads.
  TJepaLoss loss_and_grad(const float* x, int B, const StepMasks& masks, const TJepaSchedule& sched, bool backward);
  // Target-encoder output on the full row: out (B, D*C), the D feature tokens (CLS dropped). On
  // a host backend, calls of more than 64 rows run as 64-row pieces on per-thread inference
  // replicas, as VarTJepa::embed does (the same bits).
  void embed(const float* x, int64_t B, float* out);

  const TJepaConfig& config() const { return cfg_; }
  ParamSet& params() { return ps_; }          // context encoder + predictor (trained)
  ParamSet& target() { return tgt_; }         // target encoder (EMA)
  // the parameter sets in the flat layout JavaScript sees, [trained | target encoder]: the
  // target encoder gets no gradient and no optimiser state
  std::vector<ParamSet*> parameter_sets() { return {&ps_, &tgt_}; }
  int64_t context_size() const { return ctx_floats_; }  // prefix of params() mirrored by target()
  int64_t step() const { return step_; }
  void set_step(int64_t s) { step_ = s; }
  // every buffer sized for the batch: the arenas, the three stacks and the gradient scratch
  int64_t activation_bytes() const {
    return (a_.total() + g_.total()) * static_cast<int64_t>(sizeof(float)) + ctx_stack_.bytes() + tgt_stack_.bytes() +
           pred_stack_.bytes() + scratch_.bytes();
  }
  int embed_dim() const { return D_ * C_; }
  int embed_chunk() const { return cfg_.batchSize; }

 private:
  // an inference replica: base's parameters and target encoder (shared, read only), its own
  // activations for cfg.batchSize rows
  TJepa(const TJepaConfig& cfg, const Backend& be, const TJepa* share, bool with_grads = false);
  // loss_and_grad with backward over pieces of rows on train_replicas_ (ModelConfig::trainPieceRows)
  TJepaLoss loss_and_grad_pieces(const float* x, int B, const StepMasks& m, const TJepaSchedule& sc);
  void embed_serial(const float* x, int64_t B, float* out);
  void forward(const float* x, int B, const StepMasks& m, bool train, uint64_t noise_seed, double* loss);
  void backward(const float* x, int B, const StepMasks& m);
  // target encoder on all D features of B rows (xb in the backend's memory): fills A(h_t) (B*D, C)
  void target_forward(const float* xb, int B);
  float* A(int id) const { return a_.ptr(id); }
  float* G(int id) const { return g_.ptr(id); }

  TJepaConfig cfg_;
  const Backend& be_;
  ParamSet ps_, tgt_;
  int64_t ctx_floats_ = 0;
  int D_, C_, K_, dp_, nA_, McMax_, MtMax_, TpMax_;
  int64_t step_ = 0;

  // parameters: ps_ = [context tokeniser, context stack | predictor], tgt_ = [tokeniser, stack]
  TokParams ctx_tok_{}, tgt_tok_{};
  TransformerStack ctx_stack_, tgt_stack_, pred_stack_;
  int pred_ctx_, pred_mask_, pred_aux_, pred_head_;
  TokTables tab_;
  std::vector<float> pos_pred_;  // (D + nAux, dp) predictor sin-cos table; rows D.. are the aux positions
  DeviceArray<float> pos_pred_dev_;
  const float* pos_pred_b_ = nullptr;  // pos_pred_ in the backend's memory

  // activations (a_) and their gradients (g_, same names)
  Arena a_, g_;
  int tok_c, seq_c, s_x, dh_c, tok_t, seq_t, h_t, cx, seq_p, dh_p, hp_q, pred, tq, loss_tok, dl;
  int seq_q, auxpe, zero_z;  // predictor rows after the aux tokens, aux + pe, a zero z projection
  std::vector<int32_t> feat_c_, idx_tok_c_, feat_t_, idx_tok_t_, idx_q_, idx_t_;
  // the index lists, masks and rows as the ops read them (*_b_: the host vectors on a host backend)
  DeviceArray<int32_t> feat_c_dev_, idx_tok_c_dev_, feat_t_dev_, idx_tok_t_dev_, idx_q_dev_, idx_t_dev_, ctx_dev_, trg_dev_;
  const int32_t *feat_c_b_ = nullptr, *idx_tok_c_b_ = nullptr, *idx_q_b_ = nullptr;
  DeviceArray<float> x_dev_;
  const float* xb_ = nullptr;
  std::vector<float> host_a_;
  std::vector<std::unique_ptr<TJepa>> replicas_;  // embed's, one per thread, made on first use
  std::vector<std::unique_ptr<TJepa>> train_replicas_;  // loss_and_grad_pieces', one per piece
  std::vector<int32_t> piece_trg_;                      // a piece's target masks (K, rows, Mt)
  bool piece_replica_ = false;  // a training piece: its gradient norm is never read (the step sums first)
  int cur_B_ = 0, cur_Mc_ = 0, cur_Mt_ = 0;
  StackScratch scratch_;
};

}  // namespace vj
