// Var-T-JEPA (docs/model.md, sections 1-8): six networks composed from backend ops.
//   (I)   context encoder q(s_x | x)          ctx_tok, ctx_stack, ctx heads
//         attention pooling (shared)          pool
//   (II)  auxiliary encoder q(z | s_x)        aux
//   (III) target posterior q(s_y | s_x, z, w) trg_tok, trg_stack, trg heads
//   (IV)  predictor p(s_y | s_x, z)           pred
//   (V)   context decoder p(x | s_x)          dec_ctx
//   (VI)  target decoder p(w | s_w)           dec_trg
// One training step (train_step) runs the forward pass of all six, the five ELBO terms, the
// backward pass, gradient clipping and AdamW. Parameters, gradients and moments live in one
// ParamSet; activations in arenas sized once from the config. Every buffer an op touches is in
// the backend's memory (device memory on CUDA): per-step inputs (rows, index lists, masks, the
// reparameterisation noise, drawn on the host so every backend sees the same noise) are uploaded
// into model-owned buffers, and the host reads results back only through copies (loss terms,
// embeddings, decoded values).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/arena.h"
#include "engine/backend.h"
#include "model/common.h"
#include "model/config.h"
#include "model/decoder.h"
#include "model/params.h"
#include "model/transformer.h"

namespace vj {

struct EmbedOutput {
  float* embeddings;      // (B, D*C) posterior means mu_sw
  float* uncertainty;     // (B) mean posterior standard deviation over D*C entries
  float* uncertainty_p90; // (B) 90th percentile of the same
  float* surprise = nullptr;  // (B) with context views: mean KL_sy per target token, or null
  float* feature_uncertainty = nullptr;  // (B, D) mean standard deviation over each feature's d entries, or null
  // (B) each, or null: the mean posterior standard deviation of the other two latents on the
  // same context (averaged over the views with views): s_x over the context tokens and d, and z
  float* context_uncertainty = nullptr;
  float* aux_uncertainty = nullptr;
  // (B, D) with context views, or null: feature j's KL_sy averaged over the views that left it out
  // (NaN where no view left it out); surprise is the mean over each view's left-out features
  float* feature_surprise = nullptr;
  // (B) with context views, or null: the spread of the predictor's conditional prior
  // p(s_y | s_x, z) on the features outside each view, the mean of exp(logvar_p / 2) over those
  // tokens and d, averaged over the views (how unsure the rest of the row leaves the model)
  float* prior_uncertainty = nullptr;
  // (B, P*C), or null: the pooled context sbar_x (the pooler's P summaries of s_x, each C wide),
  // averaged over the views with views: a row summary P*C wide instead of D*C
  float* context_summary = nullptr;
};

// Context views of the embedding (docs/model.md, section 7, [decision]): views = 0 encodes the full row;
// views = V > 0 averages V seeded random context views of round(D * viewFraction) features each. The
// embedding is then the mean of mu_sw over the views and the uncertainty is the standard deviation
// of the view mixture, sqrt(mean_v var_sw + var_v mu_sw) per entry (law of total variance).
// A row's views depend only on (viewSeed, rowOffset + row, view), not on how rows are chunked.
// Surprise: with views, the predictor also predicts the features outside each view, and the
// row's surprise is KL(q(s_w_j | w) || p(s_y_j | s_x, z)) per target token (Eq. 26 for one row,
// means instead of samples), averaged over the views: how badly the rest of the row predicts it.
struct EmbedViews {
  int views = 0;
  float viewFraction = 0.5f;
  uint64_t viewSeed = 0;
  int64_t rowOffset = 0;  // the index of the call's first row in the whole table
};

class VarTJepa {
 public:
  VarTJepa(const ModelConfig& cfg, const Backend& be);

  // One optimiser step on rows x (B, D). Returns the loss terms (before the update) and the
  // gradient norm (before clipping). See ModelConfig::trainPieceRows for how a large step runs;
  // last_noise() then holds the last piece's noise.
  LossTerms train_step(const float* x, int B, const StepMasks& masks, const StepSchedule& sched);
  // Forward and backward without the update: gradients are left in params().grads (zeroed first).
  LossTerms loss_and_grad(const float* x, int B, const StepMasks& masks, const StepSchedule& sched, bool backward);
  // Deterministic embedding of section 7 for B rows (any B: processed in chunks).
  // On a host backend, calls of more than kReplicaRows rows are split into pieces of that many
  // rows that the pool's threads take in turn, each running the whole forward pass on its own
  // inference replica (one thread per piece, the ops inside serial): no barrier per op and a
  // small working set. A row's outputs are the same bits either way.
  void embed(const float* x, int64_t B, const EmbedOutput& out, const EmbedViews& views = EmbedViews{});
  // Section 8: draws of the unobserved features. observed (B, D) 1 = observed; out values
  // (draws, B, D) decoded value (numeric) or sampled class (categorical); probs (draws, B,
  // sumCard) class probabilities of categorical features (numeric slots untouched).
  void generate(const float* x, const uint8_t* observed, int64_t B, int draws, uint64_t seed, float* values,
                float* probs);

  // The reparameterisation noise of the last training forward pass: eps_sx (B*Mc, C),
  // eps_z (B, C), eps_sw (B*D, C); for tests that recompute the loss with the noise fixed.
  void last_noise(std::vector<float>* sx, std::vector<float>* zz, std::vector<float>* sw) const;
  const ModelConfig& config() const { return cfg_; }
  ParamSet& params() { return ps_; }
  // the parameter sets in the flat layout JavaScript sees; the first is the one trained
  std::vector<ParamSet*> parameter_sets() { return {&ps_}; }
  int64_t step() const { return step_; }
  void set_step(int64_t s) { step_ = s; }
  int64_t activation_bytes() const;
  int embed_dim() const { return cfg_.D() * cfg_.d; }
  int embed_chunk() const { return embed_chunk_; }

 private:
  // x (B, D) on the host in forward and backward; xb (B, D), key_mask in the backend's memory
  // (upload_x, upload_mask); ctx, trg on the host
  void forward(const float* x, int B, const StepMasks& m, bool train, uint64_t noise_seed, LossTerms* loss);
  void backward(const float* x, int B, const StepMasks& m, const StepSchedule& s);
  void context_encoder_forward(const float* xb, int B, int Mc, const int32_t* ctx, const uint8_t* key_mask, bool train,
                               bool sample, NoiseStream& noise, uint64_t noise_seed);
  void pool_aux_forward(int B, int Mc, bool sample, uint64_t noise_seed);
  void target_forward(const float* xb, int B, bool train, bool sample, NoiseStream& noise, uint64_t noise_seed);
  const float* upload_x(const float* x, int64_t B) { return on_backend(be_, x_dev_, x, B * D_); }
  // n Philox normals (engine/philox.h) at stream offset `offset`, drawn on the host, into dst
  void noise_to(float* dst, int64_t n, uint64_t seed, uint64_t offset);
  // host-readable copy of n floats of a backend buffer
  const float* host(const float* p, int64_t n, std::vector<float>& scratch) const { return on_host(be_, p, n, scratch); }
  // Kp mask sets: ctx (B, Mc), trg (Kp, B, Mt) on the host; key_mask (Kp*B, Mc+Mt) or null
  void predictor_forward(int B, int Kp, const StepMasks& m, const uint8_t* key_mask, bool train, NoiseStream& noise);
  // adds each row's mean posterior std of s_x (Mc tokens) and of z into cu / au (B) (overwrites
  // when first), after context_encoder_forward and pool_aux_forward on the deterministic path
  void latent_stds(int B, int Mc, float* cu, float* au, bool first);
  // copies (first) or adds the pooled context sbar_x of the B rows just pooled into dst (B, P*C)
  void add_context_summary(int B, float* dst, bool first);
  void view_surprise(int B, int Mc, int Mt, const int32_t* ctx, int32_t* trg, uint8_t* in_view, float* surprise, bool first,
                     float* feat, float* feat_n, float* prior);
  // an inference replica: base's parameters (shared, read only), its own activations for
  // cfg.batchSize rows, no gradients or optimiser state
  VarTJepa(const ModelConfig& cfg, const Backend& be, const VarTJepa* share, bool with_grads = false);
  // loss_and_grad with backward over pieces of cfg.trainPieceRows rows on train_replicas_
  LossTerms loss_and_grad_pieces(const float* x, int B, const StepMasks& m, const StepSchedule& sc);
  void embed_serial(const float* x, int64_t B, const EmbedOutput& out, const EmbedViews& views);
  void embed_parallel(const float* x, int64_t B, const EmbedOutput& out, const EmbedViews& views);
  float* A(int id) const { return a_.ptr(id); }
  float* G(int id) const { return g_.ptr(id); }

  ModelConfig cfg_;
  const Backend& be_;
  ParamSet ps_;
  int D_, C_, P_, K_, dp_, T3_, McMax_, MtMax_, TpMax_;
  int64_t ctxRowsCap_, ctxTokCap_;
  int embed_chunk_ = 1;
  int64_t step_ = 0;

  // parameters
  TokParams ctx_tok_{}, trg_tok_{};
  TransformerStack ctx_stack_, trg_stack_, pred_stack_;
  int ctx_mu_, ctx_lv_, pool_queries_, pool_q_, pool_kv_, pool_out_;
  int aux_fc1_, aux_ln_, aux_mu_, aux_ls_;
  int trg_pooled_, trg_aux_, trg_mu_, trg_lv_;
  int pred_ctx_, pred_z_, pred_mask_, pred_mu_, pred_lv_;
  FeatureDecoder dec_ctx_, dec_trg_;
  TokTables tab_;                 // category offsets and the encoder sinusoid (D, C) base 100
  std::vector<float> pos_pred_;   // fixed sinusoid (D, dp) base 10000
  DeviceArray<float> pos_pred_dev_;
  const float* pos_pred_b_ = nullptr;  // pos_pred_ in the backend's memory

  // activations and their gradients (same names, separate arenas)
  Arena a_, g_;
  int tok_c, seq_c, hc_tok, mu_sx, lvr_sx, lv_sx, eps_sx, s_x;
  int pq, kv, pool_att, pool_probs, sbar;
  int a1, a2, a2_mean, a2_rstd, a3, mu_z, ls_z, lvr_z, lv_z, eps_z, z;
  int tok_t, pooled_t, aux_t, seq_t, ht_tok, mu_sw, lvr_sw, lv_sw, eps_sw, s_w;
  int cx, cz, seq_p, hp_q, mu_p, lvr_p, lv_p, muq, lvq;
  int dh_c, dh_t, dh_p;  // gradients w.r.t. the stack outputs (only their g_ side is used)
  int loss_sx, loss_z, loss_sy, dl_sx, dl_z, dl_sy;
  // index lists of the current step (host), and the ones ops read in the backend's memory (*_b_:
  // the host vectors themselves on a host backend)
  std::vector<int32_t> idx_tok_c_, feat_c_, row_c_, feat_t_, row_t_, idx_tok_t_, idx_q_, idx_sw_;
  DeviceArray<int32_t> idx_tok_c_dev_, feat_c_dev_, feat_t_dev_, idx_tok_t_dev_, idx_q_dev_, idx_sw_dev_, ctx_dev_, trg_dev_;
  const int32_t *idx_tok_c_b_ = nullptr, *feat_c_b_ = nullptr, *feat_t_b_ = nullptr, *idx_tok_t_b_ = nullptr,
                *idx_q_b_ = nullptr, *idx_sw_b_ = nullptr;
  DeviceArray<float> x_dev_;               // the rows of the current call
  const float* xb_ = nullptr;              // ... as the ops read them (set by forward)
  DeviceArray<uint8_t> kmask_c_dev_, kmask_p_dev_;  // generate's key masks
  std::vector<float> noise_host_, host_a_, host_b_;  // host staging
  const float* hc_out_ = nullptr;  // context stack output (B, 1+Mc, C)
  const float* ht_out_ = nullptr;  // target stack output (B, T3, C)
  const float* hp_out_ = nullptr;  // predictor stack output (K*B, Tp, dp)
  int cur_B_ = 0, cur_Mc_ = 0, cur_Mt_ = 0;
  StackScratch scratch_;
  std::vector<float> unc_scratch_;  // (embed chunk, D*C) posterior standard deviations
  std::vector<float> sbar_scratch_;  // (embed chunk, P*C) the pooled context, when on a device
  std::vector<float> view_m2_, view_var_;  // (embed chunk, D*C) running view statistics
  std::vector<std::unique_ptr<VarTJepa>> replicas_;    // embed_parallel's, one per thread, made on first use
  std::vector<std::unique_ptr<VarTJepa>> train_replicas_;  // loss_and_grad_pieces', one per piece
  std::vector<int32_t> piece_trg_;  // a piece's target masks (K, rows, Mt)
  int64_t noise_row0_ = 0;          // the first row of this piece in its step: the noise is drawn there
  bool piece_replica_ = false;      // a training piece: its gradient norm is never read (the step sums first)
};

}  // namespace vj
