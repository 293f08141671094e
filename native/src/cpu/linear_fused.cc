// Fast CPU linear layers with a fused epilogue, compiled per instruction set: the packed GEMM
// (cpu/gemm.cc) applies ReLU or adds the residual to each output tile while it is still in
// registers, saving the separate pass over (M, N) that relu_forward or add_forward would make.
// Same products and the same float operations in the same order as the unfused chain, so the
// results are bit-identical to linear_forward followed by relu_forward / add_forward. The
// backward relu_linear_backward gates the input gradient's tiles by the saved ReLU output.
#include "cpu/gemm.h"
#include "cpu/ops.h"

namespace vj {
namespace VJ_NS {

// out (M, N) = ReLU(inp (M, K) . weight (N, K)^T + bias (N))
void linear_relu_forward(float* out, const float* inp, const float* weight, const float* bias,
                         const MatDims& d) {
  sgemm(d.M, d.N, d.K, inp, d.K, false, weight, d.K, true, out, d.N, false, bias, true, nullptr);
}

// out (M, N) = inp (M, K) . weight (N, K)^T + bias (N) + res (M, N); res must not overlap out
void linear_residual_forward(float* out, const float* inp, const float* weight, const float* bias,
                             const float* res, const MatDims& d) {
  sgemm(d.M, d.N, d.K, inp, d.K, false, weight, d.K, true, out, d.N, false, bias, false, res);
}

// Backward of out = inp . weight^T + bias through the ReLU (and dropout scale) that made inp:
//   dpre (M, K) += [inp > 0] * scale * (dout (M, N) . weight (N, K)), the mask and scale applied
//   to each register tile of the product before it is added to dpre;
//   dweight (N, K) += dout^T . inp, dbias (N) += sum_rows dout, as linear_backward.
void relu_linear_backward(float* dpre, float* dweight, float* dbias, const float* dout,
                          const float* inp, const float* weight, float scale, const MatDims& d) {
  if (dpre)
    sgemm(d.M, d.K, d.N, dout, d.N, false, weight, d.K, false, dpre, d.K, true, nullptr, false, nullptr, inp,
          scale);
  linear_backward(nullptr, dweight, dbias, dout, inp, weight, d);
}

}  // namespace VJ_NS
}  // namespace vj
