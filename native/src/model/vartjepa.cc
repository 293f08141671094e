// Var-T-JEPA: parameters, activation arenas, fixed tables.
#include "model/vartjepa.h"

#include <cmath>

#include "engine/error.h"
#include "engine/philox.h"

namespace vj {

// every op the model composes must be provided by the backend
static void require_ops(const Backend& be) {
  std::string missing;
#define VJ_NEED(op) \
  if (!be.op##_fn) missing += std::string(missing.empty() ? "" : ", ") + #op;
  VJ_NEED(linear_forward) VJ_NEED(linear_backward) VJ_NEED(layernorm_forward) VJ_NEED(layernorm_backward)
  VJ_NEED(relu_forward) VJ_NEED(relu_backward) VJ_NEED(gelu_forward) VJ_NEED(gelu_backward) VJ_NEED(add_forward)
  VJ_NEED(add_backward) VJ_NEED(dropout_forward) VJ_NEED(dropout_backward) VJ_NEED(attention_forward)
  VJ_NEED(attention_backward) VJ_NEED(cross_attention_forward) VJ_NEED(cross_attention_backward)
  VJ_NEED(index_select_forward) VJ_NEED(index_select_backward) VJ_NEED(tokenizer_forward) VJ_NEED(tokenizer_backward)
  VJ_NEED(clamp_forward) VJ_NEED(clamp_backward) VJ_NEED(reparam_forward) VJ_NEED(reparam_backward)
  VJ_NEED(kl_std_forward) VJ_NEED(kl_std_backward) VJ_NEED(kl_gauss_forward) VJ_NEED(kl_gauss_backward)
  VJ_NEED(gauss_nll_forward) VJ_NEED(gauss_nll_backward) VJ_NEED(softmax_ce_forward) VJ_NEED(softmax_ce_backward)
  VJ_NEED(adamw_update) VJ_NEED(sum_squares) VJ_NEED(scale_inplace) VJ_NEED(fill_forward) VJ_NEED(scale_forward)
  VJ_NEED(scale_backward) VJ_NEED(concat_rows_forward) VJ_NEED(concat_rows_backward) VJ_NEED(predictor_input_forward)
  VJ_NEED(predictor_input_backward)
#undef VJ_NEED
  if (!missing.empty()) throw Error(std::string("the '") + be.name + "' backend lacks ops the model needs: " + missing);
}

VarTJepa::VarTJepa(const ModelConfig& cfg, const Backend& be) : VarTJepa(cfg, be, nullptr) {}

VarTJepa::VarTJepa(const ModelConfig& cfg, const Backend& be, const VarTJepa* share, bool with_grads)
    : cfg_(cfg), be_(be) {
  require_ops(be);
  D_ = cfg.D();
  C_ = cfg.d;
  P_ = cfg.pool;
  K_ = cfg.masks;
  dp_ = cfg.dP;
  T3_ = 2 + P_ + D_;
  McMax_ = cfg.max_ctx();
  MtMax_ = cfg.max_trg();
  TpMax_ = McMax_ + MtMax_ < D_ ? McMax_ + MtMax_ : D_;  // predictor tokens per sequence
  const int Bm = cfg.batchSize;
  ctxRowsCap_ = static_cast<int64_t>(Bm) * (1 + (McMax_ > 1 ? McMax_ : 1));
  if (ctxRowsCap_ < 1 + D_) ctxRowsCap_ = 1 + D_;  // at least one full row fits
  if (share && !with_grads) ctxRowsCap_ = static_cast<int64_t>(Bm) * (1 + D_);  // an embedding replica embeds batchSize rows at a time
  ctxTokCap_ = ctxRowsCap_;
  embed_chunk_ = static_cast<int>(ctxRowsCap_ / (1 + D_));
  if (embed_chunk_ > Bm) embed_chunk_ = Bm;
  if (embed_chunk_ < 1) embed_chunk_ = 1;

  tab_.build(cfg.cardinalities, C_, cfg.posBase, be);
  pos_pred_ = sinusoid(D_, dp_, cfg.predPosBase);
  pos_pred_b_ = on_backend(be, pos_pred_dev_, pos_pred_.data(), static_cast<int64_t>(D_) * dp_);

  // ---- parameters ----
  ctx_tok_ = declare_tokenizer(ps_, "ctx", cfg.cardinalities, C_);
  ctx_stack_.declare(ps_, "ctx.encoder", cfg.layers, C_, cfg.heads, cfg.ff, cfg.dropout, Tail::EncoderTail);
  ctx_mu_ = ps_.add_linear("ctx.head_mu", C_, C_);
  ctx_lv_ = ps_.add_linear("ctx.head_logvar", C_, C_);
  pool_queries_ = ps_.add("pool.queries", {P_, C_}, Init::Normal, 0.02f, false);
  pool_q_ = ps_.add_linear("pool.q", C_, C_);
  pool_kv_ = ps_.add_linear("pool.kv", C_, 2 * C_);
  pool_out_ = ps_.add_linear("pool.out", C_, C_);
  aux_fc1_ = ps_.add_linear("aux.fc1", P_ * C_, C_);
  aux_ln_ = ps_.add_layernorm("aux.norm", C_);
  aux_mu_ = ps_.add_linear("aux.head_mu", C_, C_);        // Linear(d, 2d) of Eq. 34, split in
  aux_ls_ = ps_.add_linear("aux.head_logsigma", C_, C_);  // its mean and log-sigma halves
  trg_tok_ = declare_tokenizer(ps_, "trg", cfg.cardinalities, C_);
  trg_pooled_ = ps_.add_linear("trg.pooled", C_, C_);  // W_sx; its bias plays e_type[pooled]
  trg_aux_ = ps_.add_linear("trg.aux", C_, C_);        // W_z; its bias plays e_type[aux]
  trg_stack_.declare(ps_, "trg.encoder", cfg.layers, C_, cfg.heads, cfg.ff, cfg.dropout, Tail::EncoderTail);
  trg_mu_ = ps_.add_linear("trg.head_mu", C_, C_);
  trg_lv_ = ps_.add_linear("trg.head_logvar", C_, C_);
  pred_ctx_ = ps_.add_linear("pred.ctx", C_, dp_);
  pred_z_ = ps_.add_linear("pred.z", C_, dp_);  // one z projection for context and query tokens
  pred_mask_ = ps_.add("pred.mask_token", {dp_}, Init::Normal, 0.02f, false);
  pred_stack_.declare(ps_, "pred.encoder", cfg.layersP, dp_, cfg.headsP, cfg.ffP, cfg.dropoutP, Tail::LayerNorm);
  pred_mu_ = ps_.add_linear("pred.head_mu", dp_, C_);
  pred_lv_ = ps_.add_linear("pred.head_logvar", dp_, C_);
  dec_ctx_.declare(ps_, "dec_ctx", cfg.cardinalities, C_);
  dec_trg_.declare(ps_, "dec_trg", cfg.cardinalities, C_);
  if (share) {
    ps_.share_values(share->ps_, with_grads);
    piece_replica_ = with_grads;
  } else {
    ps_.allocate(&be);
    ps_.initialise(cfg.seed);
  }

  // ---- activations ----
  const int ctxR = static_cast<int>(ctxRowsCap_), ctxT = static_cast<int>(ctxTokCap_);
  const int BD = Bm * D_, BP = Bm * P_;
  const int KBq = K_ * Bm * MtMax_;
  const int KBp = K_ * Bm * TpMax_;
  auto both = [&](const char* name, std::vector<int> shape) {
    int i = a_.add(name, shape);
    g_.add(name, shape);
    return i;
  };
  tok_c = both("tok_c", {ctxT, C_});
  seq_c = both("seq_c", {ctxR, C_});
  hc_tok = both("hc_tok", {ctxT, C_});
  mu_sx = both("mu_sx", {ctxT, C_});
  lvr_sx = both("lvr_sx", {ctxT, C_});
  lv_sx = both("lv_sx", {ctxT, C_});
  eps_sx = both("eps_sx", {ctxT, C_});
  s_x = both("s_x", {ctxT, C_});
  pq = both("pool_q", {P_, C_});
  kv = both("pool_kv", {ctxT, 2 * C_});
  pool_att = both("pool_att", {BP, C_});
  pool_probs = both("pool_probs", {ctxR, cfg.heads * P_});
  sbar = both("sbar", {BP, C_});
  a1 = both("aux_a1", {Bm, C_});
  a2 = both("aux_a2", {Bm, C_});
  a2_mean = both("aux_a2_mean", {Bm});
  a2_rstd = both("aux_a2_rstd", {Bm});
  a3 = both("aux_a3", {Bm, C_});
  mu_z = both("mu_z", {Bm, C_});
  ls_z = both("ls_z", {Bm, C_});
  lvr_z = both("lvr_z", {Bm, C_});
  lv_z = both("lv_z", {Bm, C_});
  eps_z = both("eps_z", {Bm, C_});
  z = both("z", {Bm, C_});
  tok_t = both("tok_t", {BD, C_});
  pooled_t = both("pooled_t", {BP, C_});
  aux_t = both("aux_t", {Bm, C_});
  seq_t = both("seq_t", {Bm * T3_, C_});
  ht_tok = both("ht_tok", {BD, C_});
  mu_sw = both("mu_sw", {BD, C_});
  lvr_sw = both("lvr_sw", {BD, C_});
  lv_sw = both("lv_sw", {BD, C_});
  eps_sw = both("eps_sw", {BD, C_});
  s_w = both("s_w", {BD, C_});
  cx = both("pred_cx", {K_ * Bm * TpMax_, dp_});
  cz = both("pred_cz", {K_ * Bm, dp_});
  seq_p = both("seq_p", {KBp, dp_});
  hp_q = both("hp_q", {KBp, dp_});
  mu_p = both("mu_p", {KBp, C_});
  lvr_p = both("lvr_p", {KBp, C_});
  lv_p = both("lv_p", {KBp, C_});
  muq = both("muq", {KBq, C_});
  lvq = both("lvq", {KBq, C_});
  dh_c = both("dh_c", {ctxR, C_});
  dh_t = both("dh_t", {Bm * T3_, C_});
  dh_p = both("dh_p", {KBp, dp_});
  loss_sx = both("loss_sx", {ctxT});
  loss_z = both("loss_z", {Bm});
  loss_sy = both("loss_sy", {KBq});
  dl_sx = both("dl_sx", {ctxT});
  dl_z = both("dl_z", {Bm});
  dl_sy = both("dl_sy", {KBq});
  a_.allocate(&be);
  g_.allocate(&be);
  const int64_t trainBTT = static_cast<int64_t>(Bm) * (1 + McMax_) * (1 + McMax_);
  const int64_t embedBTT = static_cast<int64_t>(embed_chunk_) * (1 + D_) * (1 + D_);
  ctx_stack_.allocate(ctxRowsCap_, trainBTT > embedBTT ? trainBTT : embedBTT, &be);
  trg_stack_.allocate(static_cast<int64_t>(Bm) * T3_, static_cast<int64_t>(Bm) * T3_ * T3_, &be);
  pred_stack_.allocate(KBp, static_cast<int64_t>(K_) * Bm * TpMax_ * TpMax_, &be);
  dec_ctx_.allocate(ctxTokCap_, &be);
  dec_trg_.allocate(BD, &be);
  int64_t sc = ctx_stack_.scratch_floats();
  if (trg_stack_.scratch_floats() > sc) sc = trg_stack_.scratch_floats();
  if (pred_stack_.scratch_floats() > sc) sc = pred_stack_.scratch_floats();
  scratch_.reserve(sc, be);
  if (be.on_device) {  // the per-step uploads at their largest, so no step allocates
    x_dev_.reserve(be, static_cast<int64_t>(Bm) * D_);
    feat_c_dev_.reserve(be, ctxT);
    idx_tok_c_dev_.reserve(be, ctxT);
    ctx_dev_.reserve(be, ctxT);
    feat_t_dev_.reserve(be, BD);
    idx_tok_t_dev_.reserve(be, BD);
    idx_q_dev_.reserve(be, KBp);
    idx_sw_dev_.reserve(be, KBp);
    trg_dev_.reserve(be, KBp);
  }
  idx_tok_c_.resize(static_cast<size_t>(ctxT));
  feat_c_.resize(static_cast<size_t>(ctxT));
  row_c_.resize(static_cast<size_t>(ctxT));
  feat_t_.resize(static_cast<size_t>(BD));
  row_t_.resize(static_cast<size_t>(BD));
  idx_tok_t_.resize(static_cast<size_t>(BD));
  idx_q_.resize(static_cast<size_t>(KBp));
  idx_sw_.resize(static_cast<size_t>(KBp));
}

void VarTJepa::noise_to(float* dst, int64_t n, uint64_t seed, uint64_t offset) {
  if (!be_.on_device) {
    fill_normal(dst, n, seed, offset);
    return;
  }
  if (static_cast<int64_t>(noise_host_.size()) < n) noise_host_.resize(static_cast<size_t>(n));
  fill_normal(noise_host_.data(), n, seed, offset);
  be_.copy_to_device(dst, noise_host_.data(), n * static_cast<int64_t>(sizeof(float)));
}

int64_t VarTJepa::activation_bytes() const {
  // every buffer sized for the batch: the model's arenas, the three stacks' activations and
  // dropout masks, the two decoders and the shared gradient scratch
  return (a_.total() + g_.total()) * static_cast<int64_t>(sizeof(float)) + ctx_stack_.bytes() + trg_stack_.bytes() +
         pred_stack_.bytes() + dec_ctx_.bytes() + dec_trg_.bytes() + scratch_.bytes();
}

}  // namespace vj
