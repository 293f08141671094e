// Var-T-JEPA backward pass and optimiser step. Runs the networks in reverse topological order:
// loss heads, predictor, target posterior, auxiliary encoder, pooling, context encoder. Every
// gradient buffer is zeroed (over the prefix in use) before ops accumulate into it.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/threadpool.h"
#include "model/vartjepa.h"

namespace vj {

void VarTJepa::backward(const float* x, int B, const StepMasks& m, const StepSchedule& sc) {
  auto zero = [this](float* p, int64_t n) { be_.mem_set(p, 0, n * static_cast<int64_t>(sizeof(float))); };
  auto fill = [this](float* p, int64_t n, float v) { be_.fill_forward(p, v, n); };
  const int Mc = m.Mc, Mt = m.Mt, N = B * Mc, BD = B * D_, S = K_ * B, Nq = S * Mt, Tc = 1 + Mc, Tp = Mc + Mt;
  const int T3 = T3_, dp = dp_, BP = B * P_;
  const int64_t NC = static_cast<int64_t>(N) * C_, BDC = static_cast<int64_t>(BD) * C_, BC = static_cast<int64_t>(B) * C_;
  const int64_t NqC = static_cast<int64_t>(Nq) * C_;
  const float lo = cfg_.logvarMin, hi = cfg_.logvarMax;

  // ---- loss heads ----
  // L_gen (Eq. 23) and L_rec (Eq. 22): decoders on the sampled s_w and s_x
  zero(G(s_w), BDC);
  dec_trg_.backward(be_, ps_, G(s_w), sc.aGen / static_cast<float>(BD));
  zero(G(s_x), NC);
  dec_ctx_.backward(be_, ps_, G(s_x), sc.aRec / static_cast<float>(N));
  // KL_sy (Eq. 26): to the target posterior (gathered at the target indices) and the predictor
  fill(G(dl_sy), Nq, sc.aSy / static_cast<float>(Nq));
  zero(G(muq), NqC);
  zero(G(lvq), NqC);
  zero(G(mu_p), NqC);
  zero(G(lv_p), NqC);
  be_.kl_gauss_backward(G(muq), G(lvq), G(mu_p), G(lv_p), G(dl_sy), A(muq), A(lvq), A(mu_p), A(lv_p), RowDims{Nq, C_});
  zero(G(mu_sw), BDC);
  zero(G(lv_sw), BDC);
  be_.index_select_backward(G(mu_sw), G(muq), idx_sw_b_, IndexDims{Nq, BD, C_});
  be_.index_select_backward(G(lv_sw), G(lvq), idx_sw_b_, IndexDims{Nq, BD, C_});
  // KL_sx (Eq. 24) and KL_z (Eq. 25)
  fill(G(dl_sx), N, sc.aSx / static_cast<float>(N));
  zero(G(mu_sx), NC);
  zero(G(lv_sx), NC);
  be_.kl_std_backward(G(mu_sx), G(lv_sx), G(dl_sx), A(mu_sx), A(lv_sx), RowDims{N, C_});
  fill(G(dl_z), B, sc.aZ / static_cast<float>(B));
  zero(G(mu_z), BC);
  zero(G(lv_z), BC);
  be_.kl_std_backward(G(mu_z), G(lv_z), G(dl_z), A(mu_z), A(lv_z), RowDims{B, C_});

  // ---- (IV) predictor ----
  zero(G(lvr_p), NqC);
  be_.clamp_backward(G(lvr_p), G(lv_p), A(lvr_p), lo, hi, NqC);
  zero(G(hp_q), static_cast<int64_t>(Nq) * dp);
  be_.linear_backward(G(hp_q), ps_.g(pred_mu_), ps_.g(pred_mu_ + 1), G(mu_p), A(hp_q), ps_.p(pred_mu_), MatDims{Nq, dp, C_});
  be_.linear_backward(G(hp_q), ps_.g(pred_lv_), ps_.g(pred_lv_ + 1), G(lvr_p), A(hp_q), ps_.p(pred_lv_), MatDims{Nq, dp, C_});
  zero(G(dh_p), static_cast<int64_t>(S) * Tp * dp);
  be_.index_select_backward(G(dh_p), G(hp_q), idx_q_b_, IndexDims{Nq, S * Tp, dp});
  zero(G(seq_p), static_cast<int64_t>(S) * Tp * dp);
  pred_stack_.backward(be_, ps_, G(seq_p), G(dh_p), A(seq_p), nullptr, S, Tp, scratch_);
  // seq_p[s, t] = cx[b, t] + cz[b] + pe[.] (context), mask + cz[b] + pe[.] (queries)
  zero(G(cx), static_cast<int64_t>(N) * dp);
  zero(G(cz), static_cast<int64_t>(B) * dp);
  be_.predictor_input_backward(G(cx), G(cz), ps_.g(pred_mask_), G(seq_p), PredInDims{K_, B, Mc, Mt, D_, dp});
  be_.linear_backward(G(s_x), ps_.g(pred_ctx_), ps_.g(pred_ctx_ + 1), G(cx), A(s_x), ps_.p(pred_ctx_), MatDims{N, C_, dp});
  zero(G(z), BC);
  be_.linear_backward(G(z), ps_.g(pred_z_), ps_.g(pred_z_ + 1), G(cz), A(z), ps_.p(pred_z_), MatDims{B, C_, dp});

  // ---- (III) target posterior ----
  // s_w = mu_sw + exp(lv_sw / 2) * eps
  be_.reparam_backward(G(mu_sw), G(lv_sw), G(s_w), A(lv_sw), A(eps_sw), BDC);
  zero(G(lvr_sw), BDC);
  be_.clamp_backward(G(lvr_sw), G(lv_sw), A(lvr_sw), lo, hi, BDC);
  zero(G(ht_tok), BDC);
  be_.linear_backward(G(ht_tok), ps_.g(trg_mu_), ps_.g(trg_mu_ + 1), G(mu_sw), A(ht_tok), ps_.p(trg_mu_), MatDims{BD, C_, C_});
  be_.linear_backward(G(ht_tok), ps_.g(trg_lv_), ps_.g(trg_lv_ + 1), G(lvr_sw), A(ht_tok), ps_.p(trg_lv_), MatDims{BD, C_, C_});
  zero(G(dh_t), static_cast<int64_t>(B) * T3 * C_);
  be_.index_select_backward(G(dh_t), G(ht_tok), idx_tok_t_b_, IndexDims{BD, B * T3, C_});
  zero(G(seq_t), static_cast<int64_t>(B) * T3 * C_);
  trg_stack_.backward(be_, ps_, G(seq_t), G(dh_t), A(seq_t), nullptr, B, T3, scratch_);
  // seq_t[b] = [cls, pooled_t (P), aux_t, tok_t (D)]
  be_.concat_rows_backward(ps_.g(trg_tok_.cls), G(seq_t), ConcatDims{B, 1, T3, 0, C_, 1});
  zero(G(pooled_t), static_cast<int64_t>(BP) * C_);
  be_.concat_rows_backward(G(pooled_t), G(seq_t), ConcatDims{B, P_, T3, 1, C_, 0});
  zero(G(aux_t), BC);
  be_.concat_rows_backward(G(aux_t), G(seq_t), ConcatDims{B, 1, T3, 1 + P_, C_, 0});
  zero(G(tok_t), BDC);
  be_.concat_rows_backward(G(tok_t), G(seq_t), ConcatDims{B, D_, T3, 2 + P_, C_, 0});
  be_.tokenizer_backward(ps_.g(trg_tok_.w_num), ps_.g(trg_tok_.b_num), ps_.g(trg_tok_.cat), ps_.g(trg_tok_.type),
                         G(tok_t), xb_, feat_t_b_, tab_.offset_b, TokDims{B, D_, D_, C_});
  zero(G(sbar), static_cast<int64_t>(BP) * C_);
  be_.linear_backward(G(sbar), ps_.g(trg_pooled_), ps_.g(trg_pooled_ + 1), G(pooled_t), A(sbar), ps_.p(trg_pooled_),
                      MatDims{BP, C_, C_});
  be_.linear_backward(G(z), ps_.g(trg_aux_), ps_.g(trg_aux_ + 1), G(aux_t), A(z), ps_.p(trg_aux_), MatDims{B, C_, C_});

  // ---- (II) auxiliary encoder ----
  be_.reparam_backward(G(mu_z), G(lv_z), G(z), A(lv_z), A(eps_z), BC);
  zero(G(lvr_z), BC);
  be_.clamp_backward(G(lvr_z), G(lv_z), A(lvr_z), lo, hi, BC);
  zero(G(ls_z), BC);
  be_.scale_backward(G(ls_z), G(lvr_z), 2.f, BC);  // lvr_z = 2 * ls_z
  zero(G(a3), BC);
  be_.linear_backward(G(a3), ps_.g(aux_mu_), ps_.g(aux_mu_ + 1), G(mu_z), A(a3), ps_.p(aux_mu_), MatDims{B, C_, C_});
  be_.linear_backward(G(a3), ps_.g(aux_ls_), ps_.g(aux_ls_ + 1), G(ls_z), A(a3), ps_.p(aux_ls_), MatDims{B, C_, C_});
  zero(G(a2), BC);
  be_.gelu_backward(G(a2), G(a3), A(a2), BC);
  zero(G(a1), BC);
  be_.layernorm_backward(G(a1), ps_.g(aux_ln_), ps_.g(aux_ln_ + 1), G(a2), A(a1), ps_.p(aux_ln_), A(a2_mean), A(a2_rstd),
                         RowDims{B, C_});
  be_.linear_backward(G(sbar), ps_.g(aux_fc1_), ps_.g(aux_fc1_ + 1), G(a1), A(sbar), ps_.p(aux_fc1_), MatDims{B, P_ * C_, C_});

  // ---- attention pooling ----
  zero(G(pool_att), static_cast<int64_t>(BP) * C_);
  be_.linear_backward(G(pool_att), ps_.g(pool_out_), ps_.g(pool_out_ + 1), G(sbar), A(pool_att), ps_.p(pool_out_),
                      MatDims{BP, C_, C_});
  zero(G(pq), static_cast<int64_t>(P_) * C_);
  zero(G(kv), NC * 2);
  be_.cross_attention_backward(G(pq), G(kv), G(pool_att), A(pq), A(kv), A(pool_probs), nullptr,
                               CrossDims{B, P_, Mc, cfg_.heads, C_ / cfg_.heads});
  be_.linear_backward(ps_.g(pool_queries_), ps_.g(pool_q_), ps_.g(pool_q_ + 1), G(pq), ps_.p(pool_queries_), ps_.p(pool_q_),
                      MatDims{P_, C_, C_});
  be_.linear_backward(G(s_x), ps_.g(pool_kv_), ps_.g(pool_kv_ + 1), G(kv), A(s_x), ps_.p(pool_kv_), MatDims{N, C_, 2 * C_});

  // ---- (I) context encoder ----
  be_.reparam_backward(G(mu_sx), G(lv_sx), G(s_x), A(lv_sx), A(eps_sx), NC);
  zero(G(lvr_sx), NC);
  be_.clamp_backward(G(lvr_sx), G(lv_sx), A(lvr_sx), lo, hi, NC);
  zero(G(hc_tok), NC);
  be_.linear_backward(G(hc_tok), ps_.g(ctx_mu_), ps_.g(ctx_mu_ + 1), G(mu_sx), A(hc_tok), ps_.p(ctx_mu_), MatDims{N, C_, C_});
  be_.linear_backward(G(hc_tok), ps_.g(ctx_lv_), ps_.g(ctx_lv_ + 1), G(lvr_sx), A(hc_tok), ps_.p(ctx_lv_), MatDims{N, C_, C_});
  zero(G(dh_c), static_cast<int64_t>(B) * Tc * C_);
  be_.index_select_backward(G(dh_c), G(hc_tok), idx_tok_c_b_, IndexDims{N, B * Tc, C_});
  zero(G(seq_c), static_cast<int64_t>(B) * Tc * C_);
  ctx_stack_.backward(be_, ps_, G(seq_c), G(dh_c), A(seq_c), nullptr, B, Tc, scratch_);
  encoder_input_backward(be_, ps_, ctx_tok_, tab_, G(tok_c), G(seq_c), xb_, feat_c_b_, B, Mc);
}

LossTerms VarTJepa::loss_and_grad(const float* x, int B, const StepMasks& m, const StepSchedule& sc, bool with_backward) {
  check_step_sizes(cfg_, B, m.Mc, m.Mt);
  if (with_backward && !be_.on_device && cfg_.trainPieceRows > 0 && B > piece_rows(cfg_))
    return loss_and_grad_pieces(x, B, m, sc);
  LossTerms L;
  forward(x, B, m, true, sc.noiseSeed, &L);
  check_backend(be_, "forward pass");
  L.total = sc.aRec * L.rec + sc.aGen * L.gen + sc.aSx * L.klSx + sc.aZ * L.klZ + sc.aSy * L.klSy;
  if (!with_backward) return L;
  ps_.grads.zero();
  backward(x, B, m, sc);
  if (!piece_replica_) L.gradNorm = std::sqrt(be_.sum_squares(ps_.grads.data(), ps_.size()));
  return L;
}

// Every term of the loss is a mean over rows (of per-row sums or means), so the step's loss and
// gradient are the piece means weighted by rows / B. The pieces run in parallel, one thread per
// piece and the ops inside serial: no barrier per op. Each piece draws the reparameterisation
// noise at its own rows of the step (the same noise as one pass) and dropout from its own stream.
LossTerms VarTJepa::loss_and_grad_pieces(const float* x, int B, const StepMasks& m, const StepSchedule& sc) {
  const int R = piece_rows(cfg_), P = (B + R - 1) / R;
  while (static_cast<int>(train_replicas_.size()) < P) {
    ModelConfig rc = cfg_;
    rc.batchSize = R;
    rc.trainPieceRows = 0;
    train_replicas_.emplace_back(new VarTJepa(rc, be_, this, true));
  }
  std::vector<LossTerms> part(static_cast<size_t>(P));
  parallel_pieces(P, num_threads(), [&](int64_t i, int) {
    VarTJepa& rep = *train_replicas_[static_cast<size_t>(i)];
    const int r0 = static_cast<int>(i) * R, n = std::min(R, B - r0);
    rep.noise_row0_ = r0;
    part[static_cast<size_t>(i)] =
        rep.loss_and_grad(x + static_cast<int64_t>(r0) * D_, n, piece_masks(m, K_, B, r0, n, rep.piece_trg_), sc, true);
  });
  // the step's loss terms and gradient: piece values weighted by rows / B, added in piece order
  std::vector<float> w(static_cast<size_t>(P));
  std::vector<const float*> g(static_cast<size_t>(P));
  LossTerms L;
  for (int i = 0; i < P; ++i) {
    const int n = std::min(R, B - i * R);
    const double wi = static_cast<double>(n) / B;
    w[static_cast<size_t>(i)] = static_cast<float>(wi);
    g[static_cast<size_t>(i)] = train_replicas_[static_cast<size_t>(i)]->ps_.grads.data();
    const LossTerms& t = part[static_cast<size_t>(i)];
    L.rec += wi * t.rec;
    L.gen += wi * t.gen;
    L.klSx += wi * t.klSx;
    L.klZ += wi * t.klZ;
    L.klSy += wi * t.klSy;
  }
  L.total = sc.aRec * L.rec + sc.aGen * L.gen + sc.aSx * L.klSx + sc.aZ * L.klZ + sc.aSy * L.klSy;
  cur_B_ = 0;  // last_noise() of a pieced step: nothing on this model (see the replicas)
  L.gradNorm = sum_piece_grads(be_, ps_, g, w);
  return L;
}

LossTerms VarTJepa::train_step(const float* x, int B, const StepMasks& m, const StepSchedule& sc) {
  LossTerms L = loss_and_grad(x, B, m, sc, true);
  clip_and_adamw(be_, ps_, cfg_, L.total, L.gradNorm, sc.lr, step_ + 1);
  check_backend(be_, "training step");
  ++step_;
  return L;
}

}  // namespace vj
