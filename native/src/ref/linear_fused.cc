// Scalar reference: linear layers with a fused epilogue (forward only; see engine/backend.h).
// Plain loops, double accumulation, no threads; the epilogue acts on the float result of
// linear_forward, as the unfused chain would.
#include "ref/ops.h"

namespace vj {
namespace ref {

// out (M, N) = ReLU(inp (M, K) . weight (N, K)^T + bias (N))
void linear_relu_forward(float* out, const float* inp, const float* weight, const float* bias,
                         const MatDims& d) {
  linear_forward(out, inp, weight, bias, d);
  const int64_t n = (int64_t)d.M * d.N;
  for (int64_t i = 0; i < n; ++i) out[i] = out[i] > 0.0f ? out[i] : 0.0f;
}

// out (M, N) = inp (M, K) . weight (N, K)^T + bias (N) + res (M, N)
void linear_residual_forward(float* out, const float* inp, const float* weight, const float* bias,
                             const float* res, const MatDims& d) {
  linear_forward(out, inp, weight, bias, d);
  const int64_t n = (int64_t)d.M * d.N;
  for (int64_t i = 0; i < n; ++i) out[i] += res[i];
}

// Backward of out = inp . weight^T + bias through the ReLU (and dropout scale) that made inp:
//   dpre (M, K) += [inp > 0] * scale * (dout . weight); dweight, dbias as linear_backward
void relu_linear_backward(float* dpre, float* dweight, float* dbias, const float* dout,
                          const float* inp, const float* weight, float scale, const MatDims& d) {
  if (dpre) {
    for (int m = 0; m < d.M; ++m)
      for (int k = 0; k < d.K; ++k) {
        if (!(inp[(int64_t)m * d.K + k] > 0.0f)) continue;
        double acc = 0.0;
        for (int n = 0; n < d.N; ++n)
          acc += static_cast<double>(dout[(int64_t)m * d.N + n]) * weight[(int64_t)n * d.K + k];
        dpre[(int64_t)m * d.K + k] += static_cast<float>(acc * scale);
      }
  }
  linear_backward(nullptr, dweight, dbias, dout, inp, weight, d);
}

}  // namespace ref
}  // namespace vj
