// CUDA: multi-head self-attention and cross-attention of P learned queries (ref/attention.cc),
// fused for the short sequences of tables (a row is at most a few hundred tokens): one thread
// per (row, head, query) computes its scores, softmax and output; backward runs one thread per
// (row, head, query) for the softmax gradient and dq, then one per (row, head, key) for dk and dv,
// and for cross-attention one per (head, query) summing dq over the rows in order. Every sum
// runs in a fixed order (deterministic); sums are in double like the reference, scores are kept
// in the probs buffer (float) between passes.
//   s_ij = scale q_i . k_j,  p_ij = softmax_j(s_ij) over kept keys,  out_i = sum_j p_ij v_j
// Masked keys get probability 0 and are never read; a row with every key masked outputs 0.
#include <cmath>

#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

// Where one head's rows live. q (nq rows): q + b * q_bs + i * q_rs + h * HS (q_bs = 0 when the
// queries are shared); k, v (T rows): kv + b * T * kv_rs + j * kv_rs + {k_off, v_off} + h * HS;
// out / dout (nq rows): + b * nq * C + i * C + h * HS; probs, ds (B, NH, nq, T).
struct Layout {
  int B, NH, nq, T, HS;
  int64_t q_bs, q_rs, kv_rs, k_off, v_off;
};

__global__ void attn_fwd(float* out, float* probs, const float* q, const float* kv, const uint8_t* key_mask,
                         Layout L) {
  const int64_t total = static_cast<int64_t>(L.B) * L.NH * L.nq;
  const int64_t C = static_cast<int64_t>(L.NH) * L.HS;
  const double scale = 1.0 / sqrt(static_cast<double>(L.HS));
  VJ_GRID_LOOP(t, total) {
    const int i = static_cast<int>(t % L.nq);
    const int h = static_cast<int>((t / L.nq) % L.NH);
    const int64_t b = t / (static_cast<int64_t>(L.nq) * L.NH);
    const float* qi = q + b * L.q_bs + i * L.q_rs + h * L.HS;
    const float* kb = kv + b * L.T * L.kv_rs + L.k_off + h * L.HS;
    const float* vb = kv + b * L.T * L.kv_rs + L.v_off + h * L.HS;
    const uint8_t* keep = key_mask ? key_mask + b * L.T : nullptr;
    float* pi = probs + t * L.T;
    double mx = -INFINITY;
    for (int j = 0; j < L.T; ++j) {
      if (keep && !keep[j]) continue;
      double acc = 0.0;
      for (int d = 0; d < L.HS; ++d) acc += static_cast<double>(qi[d]) * kb[j * L.kv_rs + d];
      const double s = acc * scale;
      pi[j] = static_cast<float>(s);
      if (s > mx) mx = s;
    }
    double sum = 0.0;
    for (int j = 0; j < L.T; ++j) {
      if (keep && !keep[j]) continue;
      sum += exp(static_cast<double>(pi[j]) - mx);
    }
    const double inv = sum > 0.0 ? 1.0 / sum : 0.0;
    for (int j = 0; j < L.T; ++j)
      pi[j] = (keep && !keep[j]) ? 0.f : static_cast<float>(exp(static_cast<double>(pi[j]) - mx) * inv);
    float* oi = out + b * L.nq * C + i * C + h * L.HS;
    for (int d = 0; d < L.HS; ++d) {
      double acc = 0.0;
      for (int j = 0; j < L.T; ++j) {
        if (keep && !keep[j]) continue;
        acc += static_cast<double>(pi[j]) * vb[j * L.kv_rs + d];
      }
      oi[d] = static_cast<float>(acc);
    }
  }
}

// ds (B, NH, nq, T) = p_ij (dp_ij - sum_j' p_ij' dp_ij'), dp_ij = dout_i . v_j; and, when dq is
// given (self-attention, rows own their queries), dq_i += scale sum_j ds_ij k_j
__global__ void attn_bwd_scores(float* ds, float* dq, int64_t dq_bs, int64_t dq_rs, const float* dout,
                                const float* kv, const float* probs, const uint8_t* key_mask, Layout L) {
  const int64_t total = static_cast<int64_t>(L.B) * L.NH * L.nq;
  const int64_t C = static_cast<int64_t>(L.NH) * L.HS;
  const double scale = 1.0 / sqrt(static_cast<double>(L.HS));
  VJ_GRID_LOOP(t, total) {
    const int i = static_cast<int>(t % L.nq);
    const int h = static_cast<int>((t / L.nq) % L.NH);
    const int64_t b = t / (static_cast<int64_t>(L.nq) * L.NH);
    const float* gi = dout + b * L.nq * C + i * C + h * L.HS;
    const float* kb = kv + b * L.T * L.kv_rs + L.k_off + h * L.HS;
    const float* vb = kv + b * L.T * L.kv_rs + L.v_off + h * L.HS;
    const uint8_t* keep = key_mask ? key_mask + b * L.T : nullptr;
    const float* pi = probs + t * L.T;
    float* dsi = ds + t * L.T;
    double pdp = 0.0;
    for (int j = 0; j < L.T; ++j) {
      dsi[j] = 0.f;
      if (keep && !keep[j]) continue;
      double dp = 0.0;
      for (int d = 0; d < L.HS; ++d) dp += static_cast<double>(gi[d]) * vb[j * L.kv_rs + d];
      dsi[j] = static_cast<float>(dp);
      pdp += pi[j] * dp;
    }
    for (int j = 0; j < L.T; ++j) dsi[j] = static_cast<float>(pi[j] * (static_cast<double>(dsi[j]) - pdp));
    if (dq) {
      float* dqi = dq + b * dq_bs + i * dq_rs + h * L.HS;
      for (int d = 0; d < L.HS; ++d) {
        double acc = 0.0;
        for (int j = 0; j < L.T; ++j) {
          if (keep && !keep[j]) continue;
          acc += static_cast<double>(dsi[j]) * kb[j * L.kv_rs + d];
        }
        dqi[d] += static_cast<float>(acc * scale);
      }
    }
  }
}

// dk_j += scale sum_i ds_ij q_i;  dv_j += sum_i p_ij dout_i  (one thread per (b, h, j))
__global__ void attn_bwd_kv(float* dkv, const float* ds, const float* dout, const float* q, const float* probs,
                            const uint8_t* key_mask, Layout L) {
  const int64_t total = static_cast<int64_t>(L.B) * L.NH * L.T;
  const int64_t C = static_cast<int64_t>(L.NH) * L.HS;
  const double scale = 1.0 / sqrt(static_cast<double>(L.HS));
  VJ_GRID_LOOP(t, total) {
    const int j = static_cast<int>(t % L.T);
    const int h = static_cast<int>((t / L.T) % L.NH);
    const int64_t b = t / (static_cast<int64_t>(L.T) * L.NH);
    if (key_mask && !key_mask[b * L.T + j]) continue;
    const int64_t head = (b * L.NH + h) * L.nq;  // first (query) row of this head in probs / ds
    float* dk = dkv + b * L.T * L.kv_rs + j * L.kv_rs + L.k_off + h * L.HS;
    float* dv = dkv + b * L.T * L.kv_rs + j * L.kv_rs + L.v_off + h * L.HS;
    for (int d = 0; d < L.HS; ++d) {
      double acck = 0.0, accv = 0.0;
      for (int i = 0; i < L.nq; ++i) {
        const int64_t pij = (head + i) * L.T + j;
        acck += static_cast<double>(ds[pij]) * q[b * L.q_bs + i * L.q_rs + h * L.HS + d];
        accv += static_cast<double>(probs[pij]) * dout[b * L.nq * C + i * C + h * L.HS + d];
      }
      dk[d] += static_cast<float>(acck * scale);
      dv[d] += static_cast<float>(accv);
    }
  }
}

// cross-attention dq (P, C) += sum over rows b (in order) of scale sum_j ds_bij k_bj; one thread
// per (h, i, d)
__global__ void cross_bwd_q(float* dq, const float* ds, const float* kv, const uint8_t* key_mask, Layout L) {
  const int64_t total = static_cast<int64_t>(L.NH) * L.nq * L.HS;
  const int64_t C = static_cast<int64_t>(L.NH) * L.HS;
  const double scale = 1.0 / sqrt(static_cast<double>(L.HS));
  VJ_GRID_LOOP(t, total) {
    const int d = static_cast<int>(t % L.HS);
    const int i = static_cast<int>((t / L.HS) % L.nq);
    const int h = static_cast<int>(t / (static_cast<int64_t>(L.HS) * L.nq));
    double acc = 0.0;
    for (int64_t b = 0; b < L.B; ++b) {
      const float* kb = kv + b * L.T * L.kv_rs + L.k_off + h * L.HS + d;
      const float* dsi = ds + ((b * L.NH + h) * L.nq + i) * L.T;
      double row = 0.0;
      for (int j = 0; j < L.T; ++j) {
        if (key_mask && !key_mask[b * L.T + j]) continue;
        row += static_cast<double>(dsi[j]) * kb[j * L.kv_rs];
      }
      acc += row * scale;
    }
    dq[static_cast<int64_t>(i) * C + h * L.HS + d] += static_cast<float>(acc);
  }
}

Layout self_layout(const AttnDims& d) {
  const int64_t C = static_cast<int64_t>(d.NH) * d.HS;
  return Layout{d.B, d.NH, d.T, d.T, d.HS, static_cast<int64_t>(d.T) * 3 * C, 3 * C, 3 * C, C, 2 * C};
}
Layout cross_layout(const CrossDims& d) {
  const int64_t C = static_cast<int64_t>(d.NH) * d.HS;
  return Layout{d.B, d.NH, d.P, d.T, d.HS, 0, C, 2 * C, 0, C};
}

}  // namespace

// out (B, T, C), probs (B, NH, T, T), qkv (B, T, 3C) as [q | k | v], key_mask (B, T) or null
void attention_forward(float* out, float* probs, const float* qkv, const uint8_t* key_mask, const AttnDims& d) {
  const Layout L = self_layout(d);
  const int64_t n = static_cast<int64_t>(d.B) * d.NH * d.T;
  if (n <= 0) return;
  attn_fwd<<<blocks_for(n, 128), 128, 0, stream()>>>(out, probs, qkv, qkv, key_mask, L);
  check_launch("attention_forward");
}

// dqkv (B, T, 3C) += d/dqkv of out = attention(qkv); dout (B, T, C)
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* probs,
                        const uint8_t* key_mask, const AttnDims& d) {
  const Layout L = self_layout(d);
  const int64_t n = static_cast<int64_t>(d.B) * d.NH * d.T;
  if (!dqkv || n <= 0) return;
  float* ds = static_cast<float*>(scratch(n * d.T * static_cast<int64_t>(sizeof(float))));
  if (!ds) return;
  attn_bwd_scores<<<blocks_for(n, 128), 128, 0, stream()>>>(ds, dqkv, L.q_bs, L.q_rs, dout, qkv, probs, key_mask, L);
  attn_bwd_kv<<<blocks_for(n, 128), 128, 0, stream()>>>(dqkv, ds, dout, qkv, probs, key_mask, L);
  check_launch("attention_backward");
}

// out (B, P, C), probs (B, NH, P, T), q (P, C), kv (B, T, 2C) as [k | v], key_mask (B, T) or null
void cross_attention_forward(float* out, float* probs, const float* q, const float* kv, const uint8_t* key_mask,
                             const CrossDims& d) {
  const Layout L = cross_layout(d);
  const int64_t n = static_cast<int64_t>(d.B) * d.NH * d.P;
  if (n <= 0) return;
  attn_fwd<<<blocks_for(n, 128), 128, 0, stream()>>>(out, probs, q, kv, key_mask, L);
  check_launch("cross_attention_forward");
}

// dq (P, C) += sum over rows of d/dq; dkv (B, T, 2C) += d/dkv
void cross_attention_backward(float* dq, float* dkv, const float* dout, const float* q, const float* kv,
                              const float* probs, const uint8_t* key_mask, const CrossDims& d) {
  const Layout L = cross_layout(d);
  const int64_t n = static_cast<int64_t>(d.B) * d.NH * d.P;
  if ((!dq && !dkv) || n <= 0) return;
  float* ds = static_cast<float*>(scratch(n * d.T * static_cast<int64_t>(sizeof(float))));
  if (!ds) return;
  attn_bwd_scores<<<blocks_for(n, 128), 128, 0, stream()>>>(ds, nullptr, 0, 0, dout, kv, probs, key_mask, L);
  if (dkv) {
    const int64_t nk = static_cast<int64_t>(d.B) * d.NH * d.T;
    attn_bwd_kv<<<blocks_for(nk, 128), 128, 0, stream()>>>(dkv, ds, dout, q, probs, key_mask, L);
  }
  if (dq) {
    const int64_t nq = static_cast<int64_t>(d.NH) * d.P * d.HS;
    cross_bwd_q<<<blocks_for(nq, 128), 128, 0, stream()>>>(dq, ds, kv, key_mask, L);
  }
  check_launch("cross_attention_backward");
}

}  // namespace cuda
}  // namespace vj
