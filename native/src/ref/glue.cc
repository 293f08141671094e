// Scalar reference of the glue ops: the row moves and small element-wise steps a model needs
// between its buffers, so that model code never touches backend memory from the host. Plain
// loops, one thread; ground truth for native/src/cpu/glue.cc and native/src/cuda/glue.cu.
#include "ref/ops.h"

namespace vj {
namespace ref {

// out (n) = value
void fill_forward(float* out, float value, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = value;
}

// out (n) = a * inp
void scale_forward(float* out, const float* inp, float a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a * inp[i];
}

// out = a * inp:  dinp (n) += a * dout
void scale_backward(float* dinp, const float* dout, float a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dinp[i] += a * dout[i];
}

// out (B, T, C)[b, t0 + i] = inp (B, n, C)[b, i], or inp (n, C)[i] when shared
void concat_rows_forward(float* out, const float* inp, const ConcatDims& d) {
  const int64_t C = d.C;
  for (int b = 0; b < d.B; ++b) {
    const float* src = inp + (d.shared ? 0 : static_cast<int64_t>(b) * d.n * C);
    float* dst = out + (static_cast<int64_t>(b) * d.T + d.t0) * C;
    for (int64_t i = 0; i < d.n * C; ++i) dst[i] = src[i];
  }
}

// out[b, t0 + i] = inp[b, i]:  dinp[b, i] += dout[b, t0 + i]; shared: dinp[i] += sum over b
// (b in order)
void concat_rows_backward(float* dinp, const float* dout, const ConcatDims& d) {
  const int64_t C = d.C;
  for (int b = 0; b < d.B; ++b) {
    float* dst = dinp + (d.shared ? 0 : static_cast<int64_t>(b) * d.n * C);
    const float* src = dout + (static_cast<int64_t>(b) * d.T + d.t0) * C;
    for (int64_t i = 0; i < d.n * C; ++i) dst[i] += src[i];
  }
}

// seq (K*B, Mc+Mt, C): context token t of sequence s = k*B + b is (cx[b, t] + cz[b]) +
// pe[ctx[b, t]], query u is (mask + cz[b]) + pe[trg[s, u]] (docs/model.md, Eq. 42-44)
void predictor_input_forward(float* seq, const float* cx, const float* cz, const int32_t* ctx, const int32_t* trg,
                             const float* mask, const float* pe, const PredInDims& d) {
  const int Tp = d.Mc + d.Mt, C = d.C;
  for (int k = 0; k < d.K; ++k)
    for (int b = 0; b < d.B; ++b) {
      const int64_t s = static_cast<int64_t>(k) * d.B + b;
      const float* z = cz + static_cast<int64_t>(b) * C;
      for (int t = 0; t < Tp; ++t) {
        float* o = seq + (s * Tp + t) * C;
        const bool is_ctx = t < d.Mc;
        const float* a = is_ctx ? cx + (static_cast<int64_t>(b) * d.Mc + t) * C : mask;
        const int32_t j = is_ctx ? ctx[static_cast<int64_t>(b) * d.Mc + t] : trg[s * d.Mt + (t - d.Mc)];
        const float* p = pe + static_cast<int64_t>(j) * C;
        for (int i = 0; i < C; ++i) o[i] = (a[i] + z[i]) + p[i];
      }
    }
}

// seq = (cx or mask) + cz + pe:  dcx[b, t] += sum over k of dseq[k*B + b, t]; dcz[b] += sum
// over k, then t of dseq[k*B + b, t]; dmask += sum over k, b, u of the query rows (in order)
void predictor_input_backward(float* dcx, float* dcz, float* dmask, const float* dseq, const PredInDims& d) {
  const int Tp = d.Mc + d.Mt, C = d.C;
  for (int k = 0; k < d.K; ++k)
    for (int b = 0; b < d.B; ++b) {
      const int64_t s = static_cast<int64_t>(k) * d.B + b;
      for (int t = 0; t < Tp; ++t) {
        const float* g = dseq + (s * Tp + t) * C;
        float* a = t < d.Mc ? (dcx ? dcx + (static_cast<int64_t>(b) * d.Mc + t) * C : nullptr) : dmask;
        if (a)
          for (int i = 0; i < C; ++i) a[i] += g[i];
        if (dcz)
          for (int i = 0; i < C; ++i) dcz[static_cast<int64_t>(b) * C + i] += g[i];
      }
    }
}

}  // namespace ref
}  // namespace vj
