// Fast CPU linear layers with a fused epilogue, compiled per instruction set: the packed GEMM
// (cpu/gemm.cc) applies ReLU or adds the residual to each output tile while it is still in
// registers, saving the separate pass over (M, N) that relu_forward or add_forward would make.
// Same products and the same float operations in the same order as the unfused chain, so the
// results are bit-identical to linear_forward followed by relu_forward / add_forward.
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

}  // namespace VJ_NS
}  // namespace vj
