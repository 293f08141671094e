// Packed, register-blocked single-precision matrix multiply for the fast CPU ops, compiled per
// instruction set (VJ_NS). Row-major throughout:
//   C (M, N) = op(A) (M, K) . op(B) (K, N) [+ bias (N)]        (accumulate = false)
//   C (M, N) += op(A) (M, K) . op(B) (K, N)                     (accumulate = true)
// and, on the finished sum (after the bias or the accumulation), optionally C = ReLU(C) and then
// C += res (M, N) (row stride ldc; must not overlap C): the fused epilogues of linear_relu_forward
// and linear_residual_forward. With gate (M, N) (row stride ldc), the product is multiplied by
// gate_scale where gate > 0 and replaced by 0 elsewhere before it is added or stored (the input
// gradient of relu_linear_backward).
// with op(A)(i, p) = transA ? A[p * lda + i] : A[i * lda + p]
// and  op(B)(p, j) = transB ? B[j * ldb + p] : B[p * ldb + j].
// Threads (vj::parallel_for) split the output only; the reduction over K runs in fixed chunks
// in a fixed order, so results are bit-identical for any thread count. Called from inside a
// parallel region it runs on the calling thread. Never reads or writes outside the matrices.
#pragma once
#include <cstdint>

#include "cpu/simd.h"

namespace vj {
namespace VJ_NS {

void sgemm(int M, int N, int K, const float* A, int64_t lda, bool transA, const float* B,
           int64_t ldb, bool transB, float* C, int64_t ldc, bool accumulate,
           const float* bias = nullptr, bool relu = false, const float* res = nullptr,
           const float* gate = nullptr, float gate_scale = 1.f);

}  // namespace VJ_NS
}  // namespace vj
