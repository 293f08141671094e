// T-JEPA baseline: parameters (two sets), activation arenas, the EMA target encoder, embedding.
#include "model/tjepa.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/error.h"
#include "engine/threadpool.h"

namespace vj {

// every op the model composes must be provided by the backend
static void require_ops(const Backend& be) {
  std::string missing;
#define VJ_NEED(op) \
  if (!be.op##_fn) missing += std::string(missing.empty() ? "" : ", ") + #op;
  VJ_NEED(linear_forward) VJ_NEED(linear_backward) VJ_NEED(layernorm_forward) VJ_NEED(layernorm_backward)
  VJ_NEED(relu_forward) VJ_NEED(relu_backward) VJ_NEED(add_forward) VJ_NEED(add_backward) VJ_NEED(dropout_forward)
  VJ_NEED(dropout_backward) VJ_NEED(attention_forward) VJ_NEED(attention_backward) VJ_NEED(index_select_forward)
  VJ_NEED(index_select_backward) VJ_NEED(tokenizer_forward) VJ_NEED(tokenizer_backward) VJ_NEED(mse_forward)
  VJ_NEED(mse_backward) VJ_NEED(adamw_update) VJ_NEED(sum_squares) VJ_NEED(scale_inplace) VJ_NEED(ema_update)
  VJ_NEED(fill_forward) VJ_NEED(concat_rows_forward) VJ_NEED(concat_rows_backward) VJ_NEED(predictor_input_forward)
  VJ_NEED(predictor_input_backward)
#undef VJ_NEED
  if (!missing.empty()) throw Error(std::string("the '") + be.name + "' backend lacks ops T-JEPA needs: " + missing);
}

TJepa::TJepa(const TJepaConfig& cfg, const Backend& be) : TJepa(cfg, be, nullptr) {}

TJepa::TJepa(const TJepaConfig& cfg, const Backend& be, const TJepa* share, bool with_grads) : cfg_(cfg), be_(be) {
  require_ops(be);
  D_ = cfg.D();
  C_ = cfg.d;
  K_ = cfg.masks;
  dp_ = cfg.dP;
  nA_ = cfg.nAux;
  McMax_ = cfg.max_ctx();
  MtMax_ = cfg.max_trg();
  TpMax_ = nA_ + (McMax_ + MtMax_ < D_ ? McMax_ + MtMax_ : D_);
  tab_.build(cfg.cardinalities, C_, cfg.posBase, be_);
  // the predictor's sin-cos table has D feature positions, then one position per auxiliary token
  pos_pred_ = sinusoid(D_ + nA_, dp_, cfg.predPosBase);
  pos_pred_b_ = on_backend(be, pos_pred_dev_, pos_pred_.data(), static_cast<int64_t>(D_ + nA_) * dp_);

  // ---- trained parameters: the context encoder first, so it is a prefix of the arena ----
  ctx_tok_ = declare_tokenizer(ps_, "ctx", cfg.cardinalities, C_);
  ctx_stack_.declare(ps_, "ctx.encoder", cfg.layers, C_, cfg.heads, cfg.ff, cfg.dropout, Tail::EncoderTail);
  ctx_floats_ = ps_.values.total();
  pred_ctx_ = ps_.add_linear("pred.ctx", C_, dp_);
  pred_mask_ = ps_.add("pred.mask_token", {dp_}, Init::Normal, 0.02f, false);
  pred_aux_ = nA_ > 0 ? ps_.add("pred.aux_tokens", {nA_, dp_}, Init::Normal, 0.02f, false) : -1;
  pred_stack_.declare(ps_, "pred.encoder", cfg.layersP, dp_, cfg.headsP, cfg.ffP, cfg.dropoutP, Tail::LayerNorm);
  pred_head_ = ps_.add_linear("pred.head", dp_, C_);
  if (share) {
    ps_.share_values(share->ps_, with_grads);
    piece_replica_ = with_grads;
  } else {
    ps_.allocate(&be);
    ps_.initialise(cfg.seed);
  }

  // ---- target encoder: the same layout, starting as a copy of the context encoder ----
  tgt_tok_ = declare_tokenizer(tgt_, "tgt", cfg.cardinalities, C_);
  tgt_stack_.declare(tgt_, "tgt.encoder", cfg.layers, C_, cfg.heads, cfg.ff, cfg.dropout, Tail::EncoderTail);
  if (tgt_.size() != ctx_floats_) throw Error("internal: target encoder layout differs from the context encoder");
  if (share) {
    tgt_.share_values(share->tgt_);
  } else {
    tgt_.allocate(&be);
    be.copy_on_device(tgt_.values.data(), ps_.values.data(), ctx_floats_ * static_cast<int64_t>(sizeof(float)));
  }

  // ---- activations ----
  const int Bm = cfg.batchSize;
  const int Nc = Bm * McMax_, Rc = Bm * (1 + McMax_), BD = Bm * D_, Rt = Bm * (1 + D_);
  const int KBp = K_ * Bm * TpMax_, KBq = K_ * Bm * MtMax_;
  auto both = [&](const char* name, std::vector<int> shape) {
    int i = a_.add(name, shape);
    g_.add(name, shape);
    return i;
  };
  tok_c = both("tok_c", {Nc, C_});
  seq_c = both("seq_c", {Rc, C_});
  s_x = both("s_x", {Nc, C_});
  dh_c = both("dh_c", {Rc, C_});
  tok_t = both("tok_t", {BD, C_});
  seq_t = both("seq_t", {Rt, C_});
  h_t = both("h_t", {BD, C_});
  cx = both("pred_cx", {Nc, dp_});
  seq_p = both("seq_p", {KBp, dp_});
  dh_p = both("dh_p", {KBp, dp_});
  hp_q = both("hp_q", {KBq, dp_});
  pred = both("pred", {KBq, C_});
  tq = both("tq", {KBq, C_});
  loss_tok = both("loss_tok", {KBq});
  dl = both("dl", {KBq});
  seq_q = both("seq_q", {KBp, dp_});
  auxpe = both("auxpe", {nA_ > 0 ? nA_ : 1, dp_});
  zero_z = both("zero_z", {Bm, dp_});  // never written: the predictor input without z
  a_.allocate(&be);
  g_.allocate(&be);
  ctx_stack_.allocate(Rc, static_cast<int64_t>(Bm) * (1 + McMax_) * (1 + McMax_), &be);
  tgt_stack_.allocate(Rt, static_cast<int64_t>(Bm) * (1 + D_) * (1 + D_), &be);
  pred_stack_.allocate(KBp, static_cast<int64_t>(KBp) * TpMax_, &be);
  int64_t sc = ctx_stack_.scratch_floats();
  if (pred_stack_.scratch_floats() > sc) sc = pred_stack_.scratch_floats();
  scratch_.reserve(sc, be);
  if (be.on_device) {  // the per-step uploads at their largest, so no step allocates
    x_dev_.reserve(be, static_cast<int64_t>(Bm) * D_);
    feat_c_dev_.reserve(be, Nc);
    idx_tok_c_dev_.reserve(be, Nc);
    ctx_dev_.reserve(be, Nc);
    feat_t_dev_.reserve(be, BD);
    idx_tok_t_dev_.reserve(be, BD);
    idx_q_dev_.reserve(be, KBq);
    idx_t_dev_.reserve(be, KBq);
    trg_dev_.reserve(be, KBq);
  }
  feat_c_.resize(static_cast<size_t>(Nc));
  idx_tok_c_.resize(static_cast<size_t>(Nc));
  feat_t_.resize(static_cast<size_t>(BD));
  idx_tok_t_.resize(static_cast<size_t>(BD));
  idx_q_.resize(static_cast<size_t>(KBq));
  idx_t_.resize(static_cast<size_t>(KBq));
}

// Target encoder on [CLS, t_j for all D features] -> L blocks -> tail; h_t (B*D, C) the feature
// tokens. Run without dropout [decision: the EMA target is an evaluation-mode network] and
// without saving anything for a backward pass (it gets no gradient).
void TJepa::target_forward(const float* xb, int B) {
  const int T = 1 + D_;
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < D_; ++j) {
      const int n = b * D_ + j;
      feat_t_[static_cast<size_t>(n)] = j;
      idx_tok_t_[static_cast<size_t>(n)] = b * T + 1 + j;
    }
  const int32_t* feat_b = on_backend(be_, feat_t_dev_, feat_t_.data(), static_cast<int64_t>(B) * D_);
  const int32_t* idx_b = on_backend(be_, idx_tok_t_dev_, idx_tok_t_.data(), static_cast<int64_t>(B) * D_);
  encoder_input_forward(be_, tgt_, tgt_tok_, tab_, A(seq_t), A(tok_t), xb, feat_b, B, D_);
  NoiseStream none{0, 0};
  const float* ht = tgt_stack_.forward(be_, tgt_, A(seq_t), nullptr, B, T, false, none);
  be_.index_select_forward(A(h_t), ht, idx_b, IndexDims{B * D_, B * T, C_});
}

static const int kReplicaRows = 64;  // as VarTJepa's embedding pieces

void TJepa::embed(const float* x, int64_t B, float* out) {
  if (be_.on_device || B <= kReplicaRows) {
    embed_serial(x, B, out);
    return;
  }
  const int T = num_threads();
  while (static_cast<int>(replicas_.size()) < T) {
    TJepaConfig rc = cfg_;
    rc.batchSize = kReplicaRows;
    replicas_.emplace_back(new TJepa(rc, be_, this));
  }
  const int64_t DC = static_cast<int64_t>(D_) * C_;
  parallel_pieces((B + kReplicaRows - 1) / kReplicaRows, T, [&](int64_t i, int part) {
    const int64_t r0 = i * kReplicaRows, n = std::min<int64_t>(kReplicaRows, B - r0);
    replicas_[static_cast<size_t>(part)]->embed_serial(x + r0 * D_, n, out + r0 * DC);
  });
}

void TJepa::embed_serial(const float* x, int64_t B, float* out) {
  const int chunk = cfg_.batchSize, DC = D_ * C_;
  for (int64_t r0 = 0; r0 < B; r0 += chunk) {
    const int Bc = static_cast<int>(B - r0 < chunk ? B - r0 : chunk);
    target_forward(on_backend(be_, x_dev_, x + r0 * D_, static_cast<int64_t>(Bc) * D_), Bc);
    be_.copy_to_host(out + r0 * DC, A(h_t), static_cast<int64_t>(Bc) * DC * static_cast<int64_t>(sizeof(float)));
  }
  check_backend(be_, "embedding");
}

}  // namespace vj
