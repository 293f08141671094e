// Fast CPU glue ops (see ref/glue.cc): split over independent outputs only, each output summed
// in the reference's order, so results equal the reference bit for bit at any thread count.
// Plain loops (the compiler vectorises the contiguous inner loops); compiled with
// -ffp-contract=off (CMakeLists.txt) so dinp + a * dout is not fused into one rounding.
#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

static constexpr int64_t kGrain = 1 << 14;  // elements per task of the element-wise loops

// out (n) = value
void fill_forward(float* out, float value, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = value;
  });
}

// out (n) = a * inp
void scale_forward(float* out, const float* inp, float a, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = a * inp[i];
  });
}

// out = a * inp:  dinp (n) += a * dout
void scale_backward(float* dinp, const float* dout, float a, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) dinp[i] += a * dout[i];
  });
}

// out (B, T, C)[b, t0 + i] = inp (B, n, C)[b, i] (inp (n, C) when shared); one task per rows of b
void concat_rows_forward(float* out, const float* inp, const ConcatDims& d) {
  const int64_t C = d.C, len = d.n * C;
  parallel_for(d.B, 1 + kGrain / (len > 0 ? len : 1), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const float* src = inp + (d.shared ? 0 : b * len);
      float* dst = out + (b * d.T + d.t0) * C;
      for (int64_t i = 0; i < len; ++i) dst[i] = src[i];
    }
  });
}

// dinp[b, i] += dout[b, t0 + i]; shared: split over the n*C columns, b summed in order
void concat_rows_backward(float* dinp, const float* dout, const ConcatDims& d) {
  const int64_t C = d.C, len = d.n * C;
  if (d.shared) {
    parallel_for(len, 256, [&](int64_t i0, int64_t i1) {
      for (int64_t b = 0; b < d.B; ++b) {
        const float* src = dout + (b * d.T + d.t0) * C;
        for (int64_t i = i0; i < i1; ++i) dinp[i] += src[i];
      }
    });
    return;
  }
  parallel_for(d.B, 1 + kGrain / (len > 0 ? len : 1), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const float* src = dout + (b * d.T + d.t0) * C;
      float* dst = dinp + b * len;
      for (int64_t i = 0; i < len; ++i) dst[i] += src[i];
    }
  });
}

// seq (K*B, Mc+Mt, C): (cx[b, t] or mask) + cz[b], then + pe[feature]; one task per sequences
void predictor_input_forward(float* seq, const float* cx, const float* cz, const int32_t* ctx, const int32_t* trg,
                             const float* mask, const float* pe, const PredInDims& d) {
  const int Tp = d.Mc + d.Mt, C = d.C;
  const int64_t S = static_cast<int64_t>(d.K) * d.B;
  parallel_for(S, 1 + kGrain / (static_cast<int64_t>(Tp) * C), [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t b = s % d.B;
      const float* z = cz + b * C;
      for (int t = 0; t < Tp; ++t) {
        float* o = seq + (s * Tp + t) * C;
        const bool is_ctx = t < d.Mc;
        const float* a = is_ctx ? cx + (b * d.Mc + t) * C : mask;
        const int32_t j = is_ctx ? ctx[b * d.Mc + t] : trg[s * d.Mt + (t - d.Mc)];
        const float* p = pe + static_cast<int64_t>(j) * C;
        for (int i = 0; i < C; ++i) o[i] = (a[i] + z[i]) + p[i];
      }
    }
  });
}

// dcx, dcz: one task per rows b (k, then t in order); dmask: split over its C columns, the
// query rows summed in the reference's (k, b, u) order
void predictor_input_backward(float* dcx, float* dcz, float* dmask, const float* dseq, const PredInDims& d) {
  const int Tp = d.Mc + d.Mt, C = d.C;
  if (dcx || dcz)
    parallel_for(d.B, 1 + kGrain / (static_cast<int64_t>(d.K) * Tp * C), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        for (int k = 0; k < d.K; ++k) {
          const int64_t s = static_cast<int64_t>(k) * d.B + b;
          for (int t = 0; t < Tp; ++t) {
            const float* g = dseq + (s * Tp + t) * C;
            if (dcx && t < d.Mc) {
              float* a = dcx + (b * d.Mc + t) * C;
              for (int i = 0; i < C; ++i) a[i] += g[i];
            }
            if (dcz) {
              float* z = dcz + b * C;
              for (int i = 0; i < C; ++i) z[i] += g[i];
            }
          }
        }
    });
  if (!dmask || d.Mt == 0) return;
  parallel_for(C, 16, [&](int64_t i0, int64_t i1) {
    for (int k = 0; k < d.K; ++k)
      for (int b = 0; b < d.B; ++b) {
        const int64_t s = static_cast<int64_t>(k) * d.B + b;
        for (int u = 0; u < d.Mt; ++u) {
          const float* g = dseq + (s * Tp + d.Mc + u) * C;
          for (int64_t i = i0; i < i1; ++i) dmask[i] += g[i];
        }
      }
  });
}

}  // namespace VJ_NS
}  // namespace vj
