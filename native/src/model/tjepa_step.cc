// T-JEPA training step (docs/model.md, section 10): forward pass of the context encoder, the target
// encoder and the predictor, the latent MSE of Eq. 56, the backward pass into the context encoder
// and the predictor, the optimiser step shared with Var-T-JEPA, and the EMA target update.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/threadpool.h"
#include "model/tjepa.h"

namespace vj {

// Predictor input (IV of docs/model.md, section 4 without z) for the K*B sequences, k-major:
//   [aux_a + pe[D + a] (a < N_aux) ; W_c s_x_j + b_c + pe[j] (j in ctx) ; mask + pe[j] (j in trg_k)]
// [decision] T-JEPA has no auxiliary variable z, so the z projections of Var-T-JEPA's predictor
// are dropped and nothing replaces them: the context tokens carry the row's information, the
// queries only their position. The N_aux learned tokens (Eq. 57) take the positions after the
// D feature positions of the same sin-cos table, so no feature shares a position with them.
void TJepa::forward(const float* x, int B, const StepMasks& m, bool train, uint64_t noise_seed, double* loss) {
  cur_B_ = B;
  cur_Mc_ = m.Mc;
  cur_Mt_ = m.Mt;
  const int Mc = m.Mc, Mt = m.Mt, Tc = 1 + Mc, N = B * Mc, S = K_ * B, Tp = nA_ + Mc + Mt, Nq = S * Mt, dp = dp_;
  NoiseStream noise{noise_seed, 0};
  // context encoder on [CLS, t_j for j in ctx]: s_x (B*Mc, C) the context tokens
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Mc; ++t) {
      const int n = b * Mc + t;
      feat_c_[static_cast<size_t>(n)] = m.ctx[n];
      idx_tok_c_[static_cast<size_t>(n)] = b * Tc + 1 + t;
    }
  xb_ = on_backend(be_, x_dev_, x, static_cast<int64_t>(B) * D_);
  feat_c_b_ = on_backend(be_, feat_c_dev_, feat_c_.data(), N);
  idx_tok_c_b_ = on_backend(be_, idx_tok_c_dev_, idx_tok_c_.data(), N);
  encoder_input_forward(be_, ps_, ctx_tok_, tab_, A(seq_c), A(tok_c), xb_, feat_c_b_, B, Mc);
  const float* hc = ctx_stack_.forward(be_, ps_, A(seq_c), nullptr, B, Tc, train, noise);
  be_.index_select_forward(A(s_x), hc, idx_tok_c_b_, IndexDims{N, B * Tc, C_});
  // target encoder on the full rows: h_t (B*D, C)
  target_forward(xb_, B);
  // predictor
  be_.linear_forward(A(cx), A(s_x), ps_.p(pred_ctx_), ps_.p(pred_ctx_ + 1), MatDims{N, C_, dp});
  for (int k = 0; k < K_; ++k)
    for (int b = 0; b < B; ++b) {
      const int s = k * B + b;
      for (int u = 0; u < Mt; ++u) {
        const int j = m.trg[static_cast<int64_t>(s) * Mt + u];
        idx_q_[static_cast<size_t>(s) * Mt + u] = s * Tp + nA_ + Mc + u;
        idx_t_[static_cast<size_t>(s) * Mt + u] = b * D_ + j;
      }
    }
  idx_q_b_ = on_backend(be_, idx_q_dev_, idx_q_.data(), Nq);
  const int32_t* idx_t_b = on_backend(be_, idx_t_dev_, idx_t_.data(), Nq);
  const int32_t* ctx_b = on_backend(be_, ctx_dev_, m.ctx, static_cast<int64_t>(N));
  const int32_t* trg_b = on_backend(be_, trg_dev_, m.trg, static_cast<int64_t>(Nq));
  float* seq = A(seq_p);
  // aux rows: aux_a + pe[D + a], the same for every sequence
  if (nA_ > 0) {
    be_.add_forward(A(auxpe), ps_.p(pred_aux_), pos_pred_b_ + static_cast<int64_t>(D_) * dp, static_cast<int64_t>(nA_) * dp);
    be_.concat_rows_forward(seq, A(auxpe), ConcatDims{S, nA_, Tp, 0, dp, 1});
  }
  // context rows cx + pe[j], query rows mask + pe[j] (the Var-T-JEPA input with a zero z term)
  be_.predictor_input_forward(A(seq_q), A(cx), A(zero_z), ctx_b, trg_b, ps_.p(pred_mask_), pos_pred_b_,
                              PredInDims{K_, B, Mc, Mt, D_, dp});
  be_.concat_rows_forward(seq, A(seq_q), ConcatDims{S, Mc + Mt, Tp, nA_, dp, 0});
  const float* hp = pred_stack_.forward(be_, ps_, seq, nullptr, S, Tp, train, noise);
  be_.index_select_forward(A(hp_q), hp, idx_q_b_, IndexDims{Nq, S * Tp, dp});
  be_.linear_forward(A(pred), A(hp_q), ps_.p(pred_head_), ps_.p(pred_head_ + 1), MatDims{Nq, dp, C_});
  // Eq. 56: mean over the K*B*Mt target tokens of the per-token mean squared error
  be_.index_select_forward(A(tq), A(h_t), idx_t_b, IndexDims{Nq, B * D_, C_});
  be_.mse_forward(A(loss_tok), A(pred), A(tq), RowDims{Nq, C_});
  double sum = 0;
  const float* lt = on_host(be_, static_cast<const float*>(A(loss_tok)), Nq, host_a_);
  for (int i = 0; i < Nq; ++i) sum += lt[i];
  *loss = sum / Nq;
}

void TJepa::backward(const float* x, int B, const StepMasks& m) {
  const int Mc = m.Mc, Mt = m.Mt, Tc = 1 + Mc, N = B * Mc, S = K_ * B, Tp = nA_ + Mc + Mt, Nq = S * Mt, dp = dp_;
  const int64_t NqC = static_cast<int64_t>(Nq) * C_;
  auto zero = [this](float* p, int64_t n) { be_.mem_set(p, 0, n * static_cast<int64_t>(sizeof(float))); };
  // loss = (1/Nq) sum_n mse(pred_n, tq_n); the target tokens tq are constants (no gradient)
  be_.fill_forward(G(dl), 1.f / static_cast<float>(Nq), Nq);
  zero(G(pred), NqC);
  be_.mse_backward(G(pred), G(dl), A(pred), A(tq), RowDims{Nq, C_});
  // pred = head(hp_q)
  zero(G(hp_q), static_cast<int64_t>(Nq) * dp);
  be_.linear_backward(G(hp_q), ps_.g(pred_head_), ps_.g(pred_head_ + 1), G(pred), A(hp_q), ps_.p(pred_head_),
                      MatDims{Nq, dp, C_});
  // hp_q = hp[query positions]; hp = stack(seq_p)
  zero(G(dh_p), static_cast<int64_t>(S) * Tp * dp);
  be_.index_select_backward(G(dh_p), G(hp_q), idx_q_b_, IndexDims{Nq, S * Tp, dp});
  zero(G(seq_p), static_cast<int64_t>(S) * Tp * dp);
  pred_stack_.backward(be_, ps_, G(seq_p), G(dh_p), A(seq_p), nullptr, S, Tp, scratch_);
  // seq_p[s] = [aux + pe ; cx[b, t] + pe ; mask + pe]: scatter back (sums over the K masks)
  if (nA_ > 0) be_.concat_rows_backward(ps_.g(pred_aux_), G(seq_p), ConcatDims{S, nA_, Tp, 0, dp, 1});
  zero(G(seq_q), static_cast<int64_t>(S) * (Mc + Mt) * dp);
  be_.concat_rows_backward(G(seq_q), G(seq_p), ConcatDims{S, Mc + Mt, Tp, nA_, dp, 0});
  zero(G(cx), static_cast<int64_t>(N) * dp);
  be_.predictor_input_backward(G(cx), nullptr, ps_.g(pred_mask_), G(seq_q), PredInDims{K_, B, Mc, Mt, D_, dp});
  // cx = W_c s_x + b_c
  zero(G(s_x), static_cast<int64_t>(N) * C_);
  be_.linear_backward(G(s_x), ps_.g(pred_ctx_), ps_.g(pred_ctx_ + 1), G(cx), A(s_x), ps_.p(pred_ctx_), MatDims{N, C_, dp});
  // s_x = hc[context positions]; hc = stack(seq_c); seq_c = [CLS, tokens]
  zero(G(dh_c), static_cast<int64_t>(B) * Tc * C_);
  be_.index_select_backward(G(dh_c), G(s_x), idx_tok_c_b_, IndexDims{N, B * Tc, C_});
  zero(G(seq_c), static_cast<int64_t>(B) * Tc * C_);
  ctx_stack_.backward(be_, ps_, G(seq_c), G(dh_c), A(seq_c), nullptr, B, Tc, scratch_);
  encoder_input_backward(be_, ps_, ctx_tok_, tab_, G(tok_c), G(seq_c), xb_, feat_c_b_, B, Mc);
}

TJepaLoss TJepa::loss_and_grad(const float* x, int B, const StepMasks& m, const TJepaSchedule& sc, bool with_backward) {
  check_step_sizes(cfg_, B, m.Mc, m.Mt);
  if (with_backward && !be_.on_device && cfg_.trainPieceRows > 0 && B > piece_rows(cfg_))
    return loss_and_grad_pieces(x, B, m, sc);
  TJepaLoss L;
  forward(x, B, m, true, sc.noiseSeed, &L.loss);
  check_backend(be_, "forward pass");
  if (!with_backward) return L;
  ps_.grads.zero();
  backward(x, B, m);
  if (!piece_replica_) L.gradNorm = std::sqrt(be_.sum_squares(ps_.grads.data(), ps_.size()));
  return L;
}

// As VarTJepa::loss_and_grad_pieces: the latent MSE is a mean over rows (K * Mt tokens each), so
// the step's loss and gradient are the piece means weighted by rows / B. The target encoder is
// shared read-only; dropout takes a stream per piece.
TJepaLoss TJepa::loss_and_grad_pieces(const float* x, int B, const StepMasks& m, const TJepaSchedule& sc) {
  const int R = piece_rows(cfg_), P = (B + R - 1) / R;
  while (static_cast<int>(train_replicas_.size()) < P) {
    TJepaConfig rc = cfg_;
    rc.batchSize = R;
    rc.trainPieceRows = 0;
    train_replicas_.emplace_back(new TJepa(rc, be_, this, true));
  }
  std::vector<TJepaLoss> part(static_cast<size_t>(P));
  parallel_pieces(P, num_threads(), [&](int64_t i, int) {
    TJepa& rep = *train_replicas_[static_cast<size_t>(i)];
    const int r0 = static_cast<int>(i) * R, n = std::min(R, B - r0);
    TJepaSchedule ps = sc;
    if (r0 > 0) ps.noiseSeed ^= 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(r0);  // dropout: a stream per piece
    part[static_cast<size_t>(i)] =
        rep.loss_and_grad(x + static_cast<int64_t>(r0) * D_, n, piece_masks(m, K_, B, r0, n, rep.piece_trg_), ps, true);
  });
  std::vector<float> w(static_cast<size_t>(P));
  std::vector<const float*> g(static_cast<size_t>(P));
  TJepaLoss L;
  for (int i = 0; i < P; ++i) {
    const double wi = static_cast<double>(std::min(R, B - i * R)) / B;
    w[static_cast<size_t>(i)] = static_cast<float>(wi);
    g[static_cast<size_t>(i)] = train_replicas_[static_cast<size_t>(i)]->ps_.grads.data();
    L.loss += wi * part[static_cast<size_t>(i)].loss;
  }
  L.gradNorm = sum_piece_grads(be_, ps_, g, w);
  return L;
}

TJepaLoss TJepa::train_step(const float* x, int B, const StepMasks& m, const TJepaSchedule& sc) {
  TJepaLoss L = loss_and_grad(x, B, m, sc, true);
  clip_and_adamw(be_, ps_, cfg_, L.loss, L.gradNorm, sc.lr, step_ + 1);
  ++step_;
  // target = momentum * target + (1 - momentum) * context encoder (the updated parameters)
  be_.ema_update(tgt_.values.data(), ps_.values.data(), sc.momentum, ctx_floats_);
  check_backend(be_, "training step");
  return L;
}

}  // namespace vj
