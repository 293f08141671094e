// Var-T-JEPA forward pass: the six networks and the five ELBO terms (docs/model.md, sections 1-5).
#include <cstring>

#include "engine/philox.h"
#include "model/vartjepa.h"

namespace vj {

// Stream offsets of the reparameterisation noise within one step's seed (dropout masks use a
// NoiseStream starting at kDropoutStream).
static const uint64_t kNoiseSx = 0, kNoiseZ = 1ull << 40, kNoiseSw = 2ull << 40, kDropoutStream = 3ull << 40;

// (I) context encoder q(s_x | x), Eq. 28-31: [CLS, t_j for j in ctx] -> L blocks -> tail ->
// mu, logvar heads on the context tokens; s_x = mu + exp(logvar / 2) * eps (or mu).
void VarTJepa::context_encoder_forward(const float* xb, int B, int Mc, const int32_t* ctx, const uint8_t* key_mask,
                                       bool train, bool sample, NoiseStream& noise, uint64_t noise_seed) {
  const int Tc = 1 + Mc, N = B * Mc;
  const int64_t NC = static_cast<int64_t>(N) * C_;
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Mc; ++t) {
      const int n = b * Mc + t;
      feat_c_[static_cast<size_t>(n)] = ctx[n];
      row_c_[static_cast<size_t>(n)] = b;
      idx_tok_c_[static_cast<size_t>(n)] = b * Tc + 1 + t;
    }
  feat_c_b_ = on_backend(be_, feat_c_dev_, feat_c_.data(), N);
  idx_tok_c_b_ = on_backend(be_, idx_tok_c_dev_, idx_tok_c_.data(), N);
  float* seq = A(seq_c);
  encoder_input_forward(be_, ps_, ctx_tok_, tab_, seq, A(tok_c), xb, feat_c_b_, B, Mc);
  hc_out_ = ctx_stack_.forward(be_, ps_, seq, key_mask, B, Tc, train, noise);
  be_.index_select_forward(A(hc_tok), hc_out_, idx_tok_c_b_, IndexDims{N, B * Tc, C_});
  be_.linear_forward(A(mu_sx), A(hc_tok), ps_.p(ctx_mu_), ps_.p(ctx_mu_ + 1), MatDims{N, C_, C_});
  if (sample) {  // the deterministic path (embedding) needs no variance of s_x
    be_.linear_forward(A(lvr_sx), A(hc_tok), ps_.p(ctx_lv_), ps_.p(ctx_lv_ + 1), MatDims{N, C_, C_});
    be_.clamp_forward(A(lv_sx), A(lvr_sx), cfg_.logvarMin, cfg_.logvarMax, NC);
    noise_to(A(eps_sx), NC, noise_seed, kNoiseSx + static_cast<uint64_t>(noise_row0_ * Mc * C_));
    be_.reparam_forward(A(s_x), A(mu_sx), A(lv_sx), A(eps_sx), NC);
  } else {
    be_.copy_on_device(A(s_x), A(mu_sx), NC * static_cast<int64_t>(sizeof(float)));
  }
}

// Attention pooling (D.2.2): P learned queries cross-attend over the Mc tokens of s_x. Then
// (II) the auxiliary encoder q(z | s_x), Eq. 32-34: flatten -> Linear -> LN -> GELU -> heads
// (mean, log sigma); z = mu + sigma * eps (or mu).
void VarTJepa::pool_aux_forward(int B, int Mc, bool sample, uint64_t noise_seed) {
  const int N = B * Mc, BP = B * P_;
  const int64_t BC = static_cast<int64_t>(B) * C_;
  be_.linear_forward(A(pq), ps_.p(pool_queries_), ps_.p(pool_q_), ps_.p(pool_q_ + 1), MatDims{P_, C_, C_});
  be_.linear_forward(A(kv), A(s_x), ps_.p(pool_kv_), ps_.p(pool_kv_ + 1), MatDims{N, C_, 2 * C_});
  be_.cross_attention_forward(A(pool_att), A(pool_probs), A(pq), A(kv), nullptr,
                              CrossDims{B, P_, Mc, cfg_.heads, C_ / cfg_.heads});
  be_.linear_forward(A(sbar), A(pool_att), ps_.p(pool_out_), ps_.p(pool_out_ + 1), MatDims{BP, C_, C_});
  be_.linear_forward(A(a1), A(sbar), ps_.p(aux_fc1_), ps_.p(aux_fc1_ + 1), MatDims{B, P_ * C_, C_});
  be_.layernorm_forward(A(a2), A(a2_mean), A(a2_rstd), A(a1), ps_.p(aux_ln_), ps_.p(aux_ln_ + 1), RowDims{B, C_});
  be_.gelu_forward(A(a3), A(a2), BC);
  be_.linear_forward(A(mu_z), A(a3), ps_.p(aux_mu_), ps_.p(aux_mu_ + 1), MatDims{B, C_, C_});
  if (sample) {  // the deterministic path (embedding) needs no variance of z
    be_.linear_forward(A(ls_z), A(a3), ps_.p(aux_ls_), ps_.p(aux_ls_ + 1), MatDims{B, C_, C_});
    // logvar_z = 2 log sigma_z, clamped like every log-variance
    be_.scale_forward(A(lvr_z), A(ls_z), 2.f, BC);
    be_.clamp_forward(A(lv_z), A(lvr_z), cfg_.logvarMin, cfg_.logvarMax, BC);
    noise_to(A(eps_z), BC, noise_seed, kNoiseZ + static_cast<uint64_t>(noise_row0_ * C_));
    be_.reparam_forward(A(z), A(mu_z), A(lv_z), A(eps_z), BC);
  } else {
    be_.copy_on_device(A(z), A(mu_z), BC * static_cast<int64_t>(sizeof(float)));
  }
}

// (III) target posterior q(s_y | s_x, z, w), Eq. 35-41: [CLS, W_sx sbar_i (P), W_z z, t_j (all D)]
// -> L blocks -> tail -> mu, logvar heads on the D feature tokens; s_w sampled (or mu).
void VarTJepa::target_forward(const float* xb, int B, bool train, bool sample, NoiseStream& noise,
                              uint64_t noise_seed) {
  const int BD = B * D_, T3 = T3_;
  const int64_t BDC = static_cast<int64_t>(BD) * C_;
  for (int b = 0; b < B; ++b)
    for (int j = 0; j < D_; ++j) {
      const int n = b * D_ + j;
      feat_t_[static_cast<size_t>(n)] = j;
      row_t_[static_cast<size_t>(n)] = b;
      idx_tok_t_[static_cast<size_t>(n)] = b * T3 + 2 + P_ + j;
    }
  feat_t_b_ = on_backend(be_, feat_t_dev_, feat_t_.data(), BD);
  idx_tok_t_b_ = on_backend(be_, idx_tok_t_dev_, idx_tok_t_.data(), BD);
  be_.tokenizer_forward(A(tok_t), xb, feat_t_b_, ps_.p(trg_tok_.w_num), ps_.p(trg_tok_.b_num), ps_.p(trg_tok_.cat),
                        tab_.offset_b, tab_.card_b, ps_.p(trg_tok_.type), tab_.pos_b, TokDims{B, D_, D_, C_});
  be_.linear_forward(A(pooled_t), A(sbar), ps_.p(trg_pooled_), ps_.p(trg_pooled_ + 1), MatDims{B * P_, C_, C_});
  be_.linear_forward(A(aux_t), A(z), ps_.p(trg_aux_), ps_.p(trg_aux_ + 1), MatDims{B, C_, C_});
  // seq_t[b] = [cls, pooled_t[b] (P), aux_t[b], tok_t[b] (D)]
  float* seq = A(seq_t);
  be_.concat_rows_forward(seq, ps_.p(trg_tok_.cls), ConcatDims{B, 1, T3, 0, C_, 1});
  be_.concat_rows_forward(seq, A(pooled_t), ConcatDims{B, P_, T3, 1, C_, 0});
  be_.concat_rows_forward(seq, A(aux_t), ConcatDims{B, 1, T3, 1 + P_, C_, 0});
  be_.concat_rows_forward(seq, A(tok_t), ConcatDims{B, D_, T3, 2 + P_, C_, 0});
  ht_out_ = trg_stack_.forward(be_, ps_, seq, nullptr, B, T3, train, noise);
  be_.index_select_forward(A(ht_tok), ht_out_, idx_tok_t_b_, IndexDims{BD, B * T3, C_});
  be_.linear_forward(A(mu_sw), A(ht_tok), ps_.p(trg_mu_), ps_.p(trg_mu_ + 1), MatDims{BD, C_, C_});
  be_.linear_forward(A(lvr_sw), A(ht_tok), ps_.p(trg_lv_), ps_.p(trg_lv_ + 1), MatDims{BD, C_, C_});
  be_.clamp_forward(A(lv_sw), A(lvr_sw), cfg_.logvarMin, cfg_.logvarMax, BDC);
  if (sample) {
    noise_to(A(eps_sw), BDC, noise_seed, kNoiseSw + static_cast<uint64_t>(noise_row0_ * D_ * C_));
    be_.reparam_forward(A(s_w), A(mu_sw), A(lv_sw), A(eps_sw), BDC);
  } else {
    be_.copy_on_device(A(s_w), A(mu_sw), BDC * static_cast<int64_t>(sizeof(float)));
  }
}

// (IV) predictor p(s_y | s_x, z), Eq. 42-46, batched over the K masks (K*B sequences, k-major):
// context tokens W_c s_x_j + W_z z + pe[j]; queries mask_token + W_z z + pe[j]; Lp blocks, LN,
// mu, logvar heads at the query positions.
void VarTJepa::predictor_forward(int B, int Kp, const StepMasks& m, const uint8_t* key_mask, bool train,
                                 NoiseStream& noise) {
  const int Mc = m.Mc, Mt = m.Mt, Tp = Mc + Mt, S = Kp * B, Nq = S * Mt, dp = dp_;
  be_.linear_forward(A(cz), A(z), ps_.p(pred_z_), ps_.p(pred_z_ + 1), MatDims{B, C_, dp});
  be_.linear_forward(A(cx), A(s_x), ps_.p(pred_ctx_), ps_.p(pred_ctx_ + 1), MatDims{B * Mc, C_, dp});
  // query rows of the stack output and the target tokens they predict
  for (int k = 0; k < Kp; ++k)
    for (int b = 0; b < B; ++b) {
      const int s = k * B + b;
      for (int u = 0; u < Mt; ++u) {
        const int j = m.trg[static_cast<int64_t>(s) * Mt + u];
        idx_q_[static_cast<size_t>(s) * Mt + u] = s * Tp + Mc + u;
        idx_sw_[static_cast<size_t>(s) * Mt + u] = b * D_ + j;
      }
    }
  idx_q_b_ = on_backend(be_, idx_q_dev_, idx_q_.data(), Nq);
  idx_sw_b_ = on_backend(be_, idx_sw_dev_, idx_sw_.data(), Nq);
  const int32_t* ctx_b = on_backend(be_, ctx_dev_, m.ctx, static_cast<int64_t>(B) * Mc);
  const int32_t* trg_b = on_backend(be_, trg_dev_, m.trg, static_cast<int64_t>(Nq));
  float* seq = A(seq_p);
  be_.predictor_input_forward(seq, A(cx), A(cz), ctx_b, trg_b, ps_.p(pred_mask_), pos_pred_b_,
                              PredInDims{Kp, B, Mc, Mt, D_, dp});
  hp_out_ = pred_stack_.forward(be_, ps_, seq, key_mask, S, Tp, train, noise);
  be_.index_select_forward(A(hp_q), hp_out_, idx_q_b_, IndexDims{Nq, S * Tp, dp});
  be_.linear_forward(A(mu_p), A(hp_q), ps_.p(pred_mu_), ps_.p(pred_mu_ + 1), MatDims{Nq, dp, C_});
  be_.linear_forward(A(lvr_p), A(hp_q), ps_.p(pred_lv_), ps_.p(pred_lv_ + 1), MatDims{Nq, dp, C_});
  be_.clamp_forward(A(lv_p), A(lvr_p), cfg_.logvarMin, cfg_.logvarMax, static_cast<int64_t>(Nq) * C_);
}

void VarTJepa::last_noise(std::vector<float>* sx, std::vector<float>* zz, std::vector<float>* sw) const {
  const int64_t n_sx = static_cast<int64_t>(cur_B_) * cur_Mc_ * C_, n_z = static_cast<int64_t>(cur_B_) * C_,
                n_sw = static_cast<int64_t>(cur_B_) * D_ * C_;
  sx->resize(static_cast<size_t>(n_sx));
  zz->resize(static_cast<size_t>(n_z));
  sw->resize(static_cast<size_t>(n_sw));
  a_.read(sx->data(), a_.view(eps_sx).offset, n_sx);
  a_.read(zz->data(), a_.view(eps_z).offset, n_z);
  a_.read(sw->data(), a_.view(eps_sw).offset, n_sw);
}

static double sum_of(const float* v, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += v[i];
  return s;
}

void VarTJepa::forward(const float* x, int B, const StepMasks& m, bool train, uint64_t noise_seed, LossTerms* loss) {
  cur_B_ = B;
  cur_Mc_ = m.Mc;
  cur_Mt_ = m.Mt;
  // dropout masks: a piece of a step (noise_row0_ > 0) takes its own stream
  NoiseStream noise{noise_row0_ ? noise_seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(noise_row0_)) : noise_seed,
                    kDropoutStream};
  xb_ = upload_x(x, B);
  context_encoder_forward(xb_, B, m.Mc, m.ctx, nullptr, train, true, noise, noise_seed);
  pool_aux_forward(B, m.Mc, true, noise_seed);
  target_forward(xb_, B, train, true, noise, noise_seed);
  predictor_forward(B, K_, m, nullptr, train, noise);
  // the five terms (Eq. 22-26): KLs summed over d, everything averaged over tokens and rows
  const int N = B * m.Mc, BD = B * D_, Nq = K_ * B * m.Mt;
  be_.index_select_forward(A(muq), A(mu_sw), idx_sw_b_, IndexDims{Nq, BD, C_});
  be_.index_select_forward(A(lvq), A(lv_sw), idx_sw_b_, IndexDims{Nq, BD, C_});
  be_.kl_gauss_forward(A(loss_sy), A(muq), A(lvq), A(mu_p), A(lv_p), RowDims{Nq, C_});
  be_.kl_std_forward(A(loss_sx), A(mu_sx), A(lv_sx), RowDims{N, C_});
  be_.kl_std_forward(A(loss_z), A(mu_z), A(lv_z), RowDims{B, C_});
  loss->rec = dec_ctx_.forward(be_, ps_, A(s_x), feat_c_.data(), row_c_.data(), x, N) / N;
  loss->gen = dec_trg_.forward(be_, ps_, A(s_w), feat_t_.data(), row_t_.data(), x, BD) / BD;
  loss->klSx = sum_of(host(A(loss_sx), N, host_a_), N) / N;
  loss->klZ = sum_of(host(A(loss_z), B, host_a_), B) / B;
  loss->klSy = sum_of(host(A(loss_sy), Nq, host_a_), Nq) / Nq;
}

}  // namespace vj
