// Scalar reference: multi-head self-attention (encoder, no causal mask) and multi-head
// cross-attention of P learned queries (attention pooling, docs/model.md, section 4). Plain loops,
// double accumulation, no threads.
//
// One head of either op, for query i over keys j (scale = 1 / sqrt(HS)):
//   s_ij = scale * q_i . k_j          (keys with key_mask 0 are skipped)
//   p_ij = exp(s_ij - max_j s_ij) / sum_j exp(s_ij - max_j s_ij),  p_ij = 0 for masked keys
//   out_i = sum_j p_ij v_j
// Masked keys take part in nothing: their probability is exactly 0 and their k, v are never
// read (non-finite values there do not leak). When every key of a row is masked, each query of
// that row outputs 0 and has all-zero probabilities, and its gradients are 0.
#include <cmath>

#include "ref/ops.h"

namespace vj {
namespace ref {
namespace {

// One head: q rows (nq, q_stride), k and v rows (T, kv_stride), out rows (nq, out_stride),
// probs (nq, T) contiguous; keep (T) or null for all keys.
void head_forward(float* out, int64_t out_stride, float* probs, const float* q, int64_t q_stride,
                  const float* k, const float* v, int64_t kv_stride, const uint8_t* keep, int nq,
                  int T, int HS) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(HS));
  double* s = new double[T];
  for (int i = 0; i < nq; ++i) {
    const float* qi = q + i * q_stride;
    float* pi = probs + (int64_t)i * T;
    double mx = -INFINITY;
    for (int j = 0; j < T; ++j) {
      if (keep && !keep[j]) continue;
      double acc = 0.0;
      for (int d = 0; d < HS; ++d) acc += static_cast<double>(qi[d]) * k[j * kv_stride + d];
      s[j] = acc * scale;
      if (s[j] > mx) mx = s[j];
    }
    double sum = 0.0;
    for (int j = 0; j < T; ++j) {
      if (keep && !keep[j]) continue;
      s[j] = std::exp(s[j] - mx);
      sum += s[j];
    }
    // sum is 0 only when every key is masked: all-zero probabilities and output
    const double inv = sum > 0.0 ? 1.0 / sum : 0.0;
    for (int j = 0; j < T; ++j) pi[j] = (keep && !keep[j]) ? 0.f : static_cast<float>(s[j] * inv);
    float* oi = out + i * out_stride;
    for (int d = 0; d < HS; ++d) {
      double acc = 0.0;
      for (int j = 0; j < T; ++j) {
        if (keep && !keep[j]) continue;
        acc += s[j] * inv * v[j * kv_stride + d];
      }
      oi[d] = static_cast<float>(acc);
    }
  }
  delete[] s;
}

// Backward of one head (layout as head_forward). dq (nq, dq_stride) or null, dq64 the same in
// double (for sums over the batch) or null; dk, dv (T, dkv_stride) or null (together).
// Differentiating out_i = sum_j p_ij v_j, p_i = softmax_j(s_ij), with dp_ij = dout_i . v_j:
//   dv_j += sum_i p_ij dout_i
//   ds_ij = p_ij (dp_ij - sum_j' p_ij' dp_ij')      (softmax backward)
//   dq_i += scale sum_j ds_ij k_j,   dk_j += scale sum_i ds_ij q_i
void head_backward(float* dq, double* dq64, int64_t dq_stride, float* dk, float* dv,
                   int64_t dkv_stride, const float* dout, int64_t dout_stride, const float* q,
                   int64_t q_stride, const float* k, const float* v, int64_t kv_stride,
                   const float* probs, const uint8_t* keep, int nq, int T, int HS) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(HS));
  double* ds = new double[(int64_t)nq * T];
  for (int i = 0; i < nq; ++i) {
    const float* gi = dout + i * dout_stride;
    const float* pi = probs + (int64_t)i * T;
    double* dsi = ds + (int64_t)i * T;
    double pdp = 0.0;
    for (int j = 0; j < T; ++j) {
      dsi[j] = 0.0;
      if (keep && !keep[j]) continue;
      double dp = 0.0;
      for (int d = 0; d < HS; ++d) dp += static_cast<double>(gi[d]) * v[j * kv_stride + d];
      dsi[j] = dp;
      pdp += pi[j] * dp;
    }
    for (int j = 0; j < T; ++j) dsi[j] = pi[j] * (dsi[j] - pdp);
  }
  if (dq || dq64) {
    for (int i = 0; i < nq; ++i)
      for (int d = 0; d < HS; ++d) {
        double acc = 0.0;
        for (int j = 0; j < T; ++j) {
          if (keep && !keep[j]) continue;
          acc += ds[(int64_t)i * T + j] * k[j * kv_stride + d];
        }
        if (dq) dq[i * dq_stride + d] += static_cast<float>(acc * scale);
        if (dq64) dq64[i * dq_stride + d] += acc * scale;
      }
  }
  if (dk) {
    for (int j = 0; j < T; ++j) {
      if (keep && !keep[j]) continue;
      for (int d = 0; d < HS; ++d) {
        double acck = 0.0, accv = 0.0;
        for (int i = 0; i < nq; ++i) {
          acck += ds[(int64_t)i * T + j] * q[i * q_stride + d];
          accv += static_cast<double>(probs[(int64_t)i * T + j]) * dout[i * dout_stride + d];
        }
        dk[j * dkv_stride + d] += static_cast<float>(acck * scale);
        dv[j * dkv_stride + d] += static_cast<float>(accv);
      }
    }
  }
  delete[] ds;
}

}  // namespace

// out (B, T, C), probs (B, NH, T, T), qkv (B, T, 3C) as [q | k | v], key_mask (B, T) or null
void attention_forward(float* out, float* probs, const float* qkv, const uint8_t* key_mask,
                       const AttnDims& d) {
  const int64_t C = (int64_t)d.NH * d.HS, T = d.T;
  for (int b = 0; b < d.B; ++b)
    for (int h = 0; h < d.NH; ++h) {
      const float* row = qkv + b * T * 3 * C + h * d.HS;
      head_forward(out + b * T * C + h * d.HS, C, probs + ((int64_t)b * d.NH + h) * T * T, row,
                   3 * C, row + C, row + 2 * C, 3 * C, key_mask ? key_mask + b * T : nullptr, d.T,
                   d.T, d.HS);
    }
}

// dqkv (B, T, 3C) += d/dqkv of out = attention(qkv) (see head_backward), dout (B, T, C)
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* probs,
                        const uint8_t* key_mask, const AttnDims& d) {
  if (!dqkv) return;
  const int64_t C = (int64_t)d.NH * d.HS, T = d.T;
  for (int b = 0; b < d.B; ++b)
    for (int h = 0; h < d.NH; ++h) {
      const int64_t off = b * T * 3 * C + h * d.HS;
      head_backward(dqkv + off, nullptr, 3 * C, dqkv + off + C, dqkv + off + 2 * C, 3 * C,
                    dout + b * T * C + h * d.HS, C, qkv + off, 3 * C, qkv + off + C,
                    qkv + off + 2 * C, 3 * C, probs + ((int64_t)b * d.NH + h) * T * T,
                    key_mask ? key_mask + b * T : nullptr, d.T, d.T, d.HS);
    }
}

// out (B, P, C), probs (B, NH, P, T), q (P, C), kv (B, T, 2C) as [k | v], key_mask (B, T) or null
void cross_attention_forward(float* out, float* probs, const float* q, const float* kv,
                             const uint8_t* key_mask, const CrossDims& d) {
  const int64_t C = (int64_t)d.NH * d.HS, T = d.T, P = d.P;
  for (int b = 0; b < d.B; ++b)
    for (int h = 0; h < d.NH; ++h) {
      const float* row = kv + b * T * 2 * C + h * d.HS;
      head_forward(out + b * P * C + h * d.HS, C, probs + ((int64_t)b * d.NH + h) * P * T,
                   q + h * d.HS, C, row, row + C, 2 * C, key_mask ? key_mask + b * T : nullptr,
                   d.P, d.T, d.HS);
    }
}

// dq (P, C) += sum over rows b of d/dq, dkv (B, T, 2C) += d/dkv of out = cross_attention(q, kv)
void cross_attention_backward(float* dq, float* dkv, const float* dout, const float* q,
                              const float* kv, const float* probs, const uint8_t* key_mask,
                              const CrossDims& d) {
  if (!dq && !dkv) return;
  const int64_t C = (int64_t)d.NH * d.HS, T = d.T, P = d.P;
  // dq sums over the batch, accumulated in double across rows
  double* dq64 = dq ? new double[P * C]() : nullptr;
  for (int b = 0; b < d.B; ++b)
    for (int h = 0; h < d.NH; ++h) {
      const int64_t off = b * T * 2 * C + h * d.HS;
      head_backward(nullptr, dq64 ? dq64 + h * d.HS : nullptr, C, dkv ? dkv + off : nullptr,
                    dkv ? dkv + off + C : nullptr, 2 * C, dout + b * P * C + h * d.HS, C,
                    q + h * d.HS, C, kv + off, kv + off + C, 2 * C,
                    probs + ((int64_t)b * d.NH + h) * P * T,
                    key_mask ? key_mask + b * T : nullptr, d.P, d.T, d.HS);
    }
  if (dq)
    for (int64_t i = 0; i < P * C; ++i) dq[i] += static_cast<float>(dq64[i]);
  delete[] dq64;
}

}  // namespace ref
}  // namespace vj
