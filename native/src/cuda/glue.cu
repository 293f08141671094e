// CUDA glue ops (ref/glue.cc): fill, scale, row concatenation and the predictor input. One
// thread per output element, or per output column where an output sums several rows (summed in
// the reference's order), with __fadd_rn / __fmul_rn so no FMA contraction changes a rounding:
// the results equal the CPU backends bit for bit.
#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

__global__ void fill_kernel(float* out, float value, int64_t n) {
  VJ_GRID_LOOP(i, n) out[i] = value;
}
__global__ void scale_fwd(float* out, const float* inp, float a, int64_t n) {
  VJ_GRID_LOOP(i, n) out[i] = __fmul_rn(a, inp[i]);
}
__global__ void scale_bwd(float* dinp, const float* dout, float a, int64_t n) {
  VJ_GRID_LOOP(i, n) dinp[i] = __fadd_rn(dinp[i], __fmul_rn(a, dout[i]));
}
// element i of the (B, n*C) source block
__global__ void concat_fwd(float* out, const float* inp, int64_t total, int64_t len, int T, int t0, int C, int shared) {
  VJ_GRID_LOOP(i, total) {
    const int64_t b = i / len, r = i % len;
    out[(b * T + t0) * C + r] = inp[shared ? r : i];
  }
}
__global__ void concat_bwd(float* dinp, const float* dout, int64_t total, int64_t len, int T, int t0, int C) {
  VJ_GRID_LOOP(i, total) {
    const int64_t b = i / len, r = i % len;
    dinp[i] = __fadd_rn(dinp[i], dout[(b * T + t0) * C + r]);
  }
}
// shared source: column r summed over b in order
__global__ void concat_bwd_shared(float* dinp, const float* dout, int B, int64_t len, int T, int t0, int C) {
  VJ_GRID_LOOP(r, len) {
    float acc = dinp[r];
    for (int b = 0; b < B; ++b) acc = __fadd_rn(acc, dout[(static_cast<int64_t>(b) * T + t0) * C + r]);
    dinp[r] = acc;
  }
}
__global__ void pred_fwd(float* seq, const float* cx, const float* cz, const int32_t* ctx, const int32_t* trg,
                         const float* mask, const float* pe, int64_t total, int B, int Mc, int Mt, int C) {
  const int Tp = Mc + Mt;
  VJ_GRID_LOOP(e, total) {
    const int i = static_cast<int>(e % C);
    const int64_t row = e / C;
    const int t = static_cast<int>(row % Tp);
    const int64_t s = row / Tp, b = s % B;
    const bool is_ctx = t < Mc;
    const float a = is_ctx ? cx[(b * Mc + t) * C + i] : mask[i];
    const int32_t j = is_ctx ? ctx[b * Mc + t] : trg[s * Mt + (t - Mc)];
    seq[e] = __fadd_rn(__fadd_rn(a, cz[b * C + i]), pe[static_cast<int64_t>(j) * C + i]);
  }
}
// thread (b, i): dcx[b, t, i] over k in order; dcz[b, i] over k, then t
__global__ void pred_bwd_rows(float* dcx, float* dcz, const float* dseq, int K, int B, int Mc, int Mt, int C) {
  const int Tp = Mc + Mt;
  VJ_GRID_LOOP(e, static_cast<int64_t>(B) * C) {
    const int64_t b = e / C;
    const int i = static_cast<int>(e % C);
    float z = dcz ? dcz[e] : 0.f;
    for (int k = 0; k < K; ++k) {
      const int64_t s = static_cast<int64_t>(k) * B + b;
      for (int t = 0; t < Tp; ++t) {
        const float g = dseq[(s * Tp + t) * C + i];
        if (dcx && t < Mc) {
          float* a = dcx + (b * Mc + t) * C + i;
          *a = __fadd_rn(*a, g);
        }
        z = __fadd_rn(z, g);
      }
    }
    if (dcz) dcz[e] = z;
  }
}
// thread i: dmask[i] over k, b, u in order
__global__ void pred_bwd_mask(float* dmask, const float* dseq, int K, int B, int Mc, int Mt, int C) {
  const int Tp = Mc + Mt;
  VJ_GRID_LOOP(i, C) {
    float acc = dmask[i];
    for (int64_t s = 0; s < static_cast<int64_t>(K) * B; ++s)
      for (int u = 0; u < Mt; ++u) acc = __fadd_rn(acc, dseq[(s * Tp + Mc + u) * C + i]);
    dmask[i] = acc;
  }
}

}  // namespace

void fill_forward(float* out, float value, int64_t n) {
  if (n <= 0) return;
  fill_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(out, value, n);
  check_launch("fill_forward");
}

void scale_forward(float* out, const float* inp, float a, int64_t n) {
  if (n <= 0) return;
  scale_fwd<<<blocks_for(n), kThreads, 0, stream()>>>(out, inp, a, n);
  check_launch("scale_forward");
}

void scale_backward(float* dinp, const float* dout, float a, int64_t n) {
  if (!dinp || n <= 0) return;
  scale_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dinp, dout, a, n);
  check_launch("scale_backward");
}

// out (B, T, C) rows [t0, t0 + n) = inp (B, n, C) or inp (n, C) when shared
void concat_rows_forward(float* out, const float* inp, const ConcatDims& d) {
  const int64_t len = static_cast<int64_t>(d.n) * d.C, total = len * d.B;
  if (total <= 0) return;
  concat_fwd<<<blocks_for(total), kThreads, 0, stream()>>>(out, inp, total, len, d.T, d.t0, d.C, d.shared);
  check_launch("concat_rows_forward");
}

void concat_rows_backward(float* dinp, const float* dout, const ConcatDims& d) {
  const int64_t len = static_cast<int64_t>(d.n) * d.C, total = len * d.B;
  if (!dinp || total <= 0) return;
  if (d.shared)
    concat_bwd_shared<<<blocks_for(len), kThreads, 0, stream()>>>(dinp, dout, d.B, len, d.T, d.t0, d.C);
  else
    concat_bwd<<<blocks_for(total), kThreads, 0, stream()>>>(dinp, dout, total, len, d.T, d.t0, d.C);
  check_launch("concat_rows_backward");
}

// seq (K*B, Mc+Mt, C); see engine/backend.h
void predictor_input_forward(float* seq, const float* cx, const float* cz, const int32_t* ctx, const int32_t* trg,
                             const float* mask, const float* pe, const PredInDims& d) {
  const int64_t total = static_cast<int64_t>(d.K) * d.B * (d.Mc + d.Mt) * d.C;
  if (total <= 0) return;
  pred_fwd<<<blocks_for(total), kThreads, 0, stream()>>>(seq, cx, cz, ctx, trg, mask, pe, total, d.B, d.Mc, d.Mt, d.C);
  check_launch("predictor_input_forward");
}

void predictor_input_backward(float* dcx, float* dcz, float* dmask, const float* dseq, const PredInDims& d) {
  if (d.K <= 0 || d.B <= 0 || d.C <= 0) return;
  if (dcx || dcz)
    pred_bwd_rows<<<blocks_for(static_cast<int64_t>(d.B) * d.C), kThreads, 0, stream()>>>(dcx, dcz, dseq, d.K, d.B, d.Mc,
                                                                                          d.Mt, d.C);
  if (dmask && d.Mt > 0)
    pred_bwd_mask<<<blocks_for(d.C), kThreads, 0, stream()>>>(dmask, dseq, d.K, d.B, d.Mc, d.Mt, d.C);
  check_launch("predictor_input_backward");
}

}  // namespace cuda
}  // namespace vj
