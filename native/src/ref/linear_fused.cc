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

}  // namespace ref
}  // namespace vj
