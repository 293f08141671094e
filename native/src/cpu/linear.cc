// Fast CPU linear layer (matmul + bias), compiled per instruction set. The three products are
// packed GEMMs (cpu/gemm.cc); only the bias gradient, a column sum, is done here.
#include "cpu/gemm.h"
#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

// out (M, N) = inp (M, K) . weight (N, K)^T + bias (N)
void linear_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const MatDims& d) {
  sgemm(d.M, d.N, d.K, inp, d.K, false, weight, d.K, true, out, d.N, false, bias);
}

// dbias (N) += sum over rows of dout (M, N): each column summed over fixed blocks of rows in
// row order, threads splitting the columns only.
static void bias_grad(float* dbias, const float* dout, int M, int N) {
  constexpr int BLOCK = 256;  // rows summed in float before joining the column total
  const int nvec = (N + W - 1) / W;
  parallel_for(nvec, 1 + (1 << 18) / ((int64_t)M * W), [&](int64_t v0, int64_t v1) {
    for (int64_t v = v0; v < v1; ++v) {
      const int j = (int)v * W, n = N - j < W ? N - j : W;
      vf total = zero();
      for (int m0 = 0; m0 < M; m0 += BLOCK) {
        const int m1 = M - m0 < BLOCK ? M : m0 + BLOCK;
        vf s = zero();
        if (n == W)
          for (int m = m0; m < m1; ++m) s = add(s, load(dout + (int64_t)m * N + j));
        else
          for (int m = m0; m < m1; ++m) s = add(s, load_n(dout + (int64_t)m * N + j, n));
        total = add(total, s);
      }
      store_n(dbias + j, add(load_n(dbias + j, n), total), n);
    }
  });
}

// Gradients of out = inp . weight^T + bias:
//   dinp (M, K) += dout (M, N) . weight (N, K)
//   dweight (N, K) += dout^T . inp (M, K), a reduction over the M rows in fixed chunks
//   dbias (N) += column sums of dout
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, const MatDims& d) {
  if (dinp) sgemm(d.M, d.K, d.N, dout, d.N, false, weight, d.K, false, dinp, d.K, true);
  if (dweight) sgemm(d.N, d.K, d.M, dout, d.N, true, inp, d.K, false, dweight, d.K, true);
  if (dbias) bias_grad(dbias, dout, d.M, d.N);
}

}  // namespace VJ_NS
}  // namespace vj
