// Scalar reference: linear layer (matmul + bias). Plain loops, double accumulation, no threads.
#include "ref/ops.h"

namespace vj {
namespace ref {

// out (M, N) = inp (M, K) . weight (N, K)^T + bias (N)
void linear_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const MatDims& d) {
  for (int m = 0; m < d.M; ++m) {
    for (int n = 0; n < d.N; ++n) {
      double acc = bias ? bias[n] : 0.0;
      for (int k = 0; k < d.K; ++k)
        acc += static_cast<double>(inp[(int64_t)m * d.K + k]) * weight[(int64_t)n * d.K + k];
      out[(int64_t)m * d.N + n] = static_cast<float>(acc);
    }
  }
}

// d/d(inp, weight, bias) of out = inp . weight^T + bias
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, const MatDims& d) {
  if (dinp) {
    for (int m = 0; m < d.M; ++m)
      for (int k = 0; k < d.K; ++k) {
        double acc = 0.0;
        for (int n = 0; n < d.N; ++n)
          acc += static_cast<double>(dout[(int64_t)m * d.N + n]) * weight[(int64_t)n * d.K + k];
        dinp[(int64_t)m * d.K + k] += static_cast<float>(acc);
      }
  }
  if (dweight) {
    for (int n = 0; n < d.N; ++n)
      for (int k = 0; k < d.K; ++k) {
        double acc = 0.0;
        for (int m = 0; m < d.M; ++m)
          acc += static_cast<double>(dout[(int64_t)m * d.N + n]) * inp[(int64_t)m * d.K + k];
        dweight[(int64_t)n * d.K + k] += static_cast<float>(acc);
      }
  }
  if (dbias) {
    for (int n = 0; n < d.N; ++n) {
      double acc = 0.0;
      for (int m = 0; m < d.M; ++m) acc += dout[(int64_t)m * d.N + n];
      dbias[n] += static_cast<float>(acc);
    }
  }
}

}  // namespace ref
}  // namespace vj
