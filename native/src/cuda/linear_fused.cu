// CUDA: the fused linear ops of the CPU backend's issue-4 work (engine/backend.h), here as the
// plain chains they stand for (the CPU fusion saves memory passes; on the device these ops are a
// small part of a step): linear then ReLU, linear then the residual add, and the input gradient
// of a linear layer gated by the saved ReLU output and scaled.
#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

// dpre[i] += inp[i] > 0 ? prod[i] * scale : 0
__global__ void gate_add(float* dpre, const float* prod, const float* inp, float scale, int64_t n) {
  VJ_GRID_LOOP(i, n) if (inp[i] > 0.f) dpre[i] += prod[i] * scale;
}

}  // namespace

// out (M, N) = ReLU(inp (M, K) . weight (N, K)^T + bias (N))
void linear_relu_forward(float* out, const float* inp, const float* weight, const float* bias, const MatDims& d) {
  linear_forward(out, inp, weight, bias, d);
  relu_forward(out, out, static_cast<int64_t>(d.M) * d.N);
}

// out (M, N) = inp (M, K) . weight (N, K)^T + bias (N) + res (M, N)
void linear_residual_forward(float* out, const float* inp, const float* weight, const float* bias, const float* res,
                             const MatDims& d) {
  linear_forward(out, inp, weight, bias, d);
  add_forward(out, out, res, static_cast<int64_t>(d.M) * d.N);
}

// dpre (M, K) += [inp > 0] * scale * (dout (M, N) . weight (N, K)); dweight, dbias as linear_backward
void relu_linear_backward(float* dpre, float* dweight, float* dbias, const float* dout, const float* inp,
                          const float* weight, float scale, const MatDims& d) {
  const int64_t n = static_cast<int64_t>(d.M) * d.K;
  if (dpre && n > 0) {
    float* prod = static_cast<float*>(scratch(n * static_cast<int64_t>(sizeof(float))));
    if (!prod) return;
    cudaMemsetAsync(prod, 0, static_cast<size_t>(n) * sizeof(float), stream());
    linear_backward(prod, nullptr, nullptr, dout, inp, weight, d);
    gate_add<<<blocks_for(n), kThreads, 0, stream()>>>(dpre, prod, inp, scale, n);
    check_launch("relu_linear_backward");
  }
  // after the gate has consumed the scratch: the bias gradient takes the scratch again
  linear_backward(nullptr, dweight, dbias, dout, inp, weight, d);
}

}  // namespace cuda
}  // namespace vj
