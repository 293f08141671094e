// CUDA: the linear layer (matmul + bias). cuBLAS is not part of every toolkit install (the build
// machine's toolkit has no libcublas), so the matmuls run on one tiled FP32 kernel of this file:
// 64 x 64 output tiles, 16-deep slices of the shared dimension staged in shared memory, 4 x 4
// outputs per thread, plain FP32 FMA (no TF32). Every output sums its products in one fixed
// order, so results do not depend on the launch. Three layouts cover forward and backward:
//   forward  out (M, N)     = inp (M, K) . weight (N, K)^T (+ bias)
//   dinp     dinp (M, K)   += dout (M, N) . weight (N, K)
//   dweight  dweight (N, K) += dout (M, N)^T . inp (M, K)
// dbias (N) += column sums of dout in fixed row chunks, in double.
#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

constexpr int BM = 64, BN = 64, BK = 16, TM = 4, TN = 4;  // 16 x 16 threads

// C (I, J) = [C +] A . B [+ bias], with A(i, p) = a[i * a_si + p * a_sp] and
// B(p, j) = b[p * b_sp + j * b_sj]; the shared dimension is P.
__global__ void __launch_bounds__(256) gemm_kernel(float* c, const float* a, const float* b, const float* bias,
                                                   int I, int J, int P, int64_t a_si, int64_t a_sp, int64_t b_sp,
                                                   int64_t b_sj, bool accumulate) {
  __shared__ float As[BK][BM + 4];
  __shared__ float Bs[BK][BN + 4];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int i0 = blockIdx.y * BM, j0 = blockIdx.x * BN;
  float acc[TM][TN];
#pragma unroll
  for (int u = 0; u < TM; ++u)
#pragma unroll
    for (int v = 0; v < TN; ++v) acc[u][v] = 0.f;
  for (int p0 = 0; p0 < P; p0 += BK) {
    // stage A (BM x BK) and B (BK x BN): 1024 values each, 4 per thread
    for (int e = threadIdx.x; e < BM * BK; e += 256) {
      // consecutive threads walk the faster-varying index of A's memory layout
      int ii, pp;
      if (a_sp == 1) { pp = e % BK; ii = e / BK; } else { ii = e % BM; pp = e / BM; }
      const int gi = i0 + ii, gp = p0 + pp;
      As[pp][ii] = (gi < I && gp < P) ? a[gi * a_si + gp * a_sp] : 0.f;
    }
    for (int e = threadIdx.x; e < BK * BN; e += 256) {
      int jj, pp;
      if (b_sj == 1) { jj = e % BN; pp = e / BN; } else { pp = e % BK; jj = e / BK; }
      const int gj = j0 + jj, gp = p0 + pp;
      Bs[pp][jj] = (gj < J && gp < P) ? b[gp * b_sp + gj * b_sj] : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int pp = 0; pp < BK; ++pp) {
      float av[TM], bv[TN];
#pragma unroll
      for (int u = 0; u < TM; ++u) av[u] = As[pp][ty + 16 * u];
#pragma unroll
      for (int v = 0; v < TN; ++v) bv[v] = Bs[pp][tx + 16 * v];
#pragma unroll
      for (int u = 0; u < TM; ++u)
#pragma unroll
        for (int v = 0; v < TN; ++v) acc[u][v] = fmaf(av[u], bv[v], acc[u][v]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int u = 0; u < TM; ++u) {
    const int gi = i0 + ty + 16 * u;
    if (gi >= I) continue;
#pragma unroll
    for (int v = 0; v < TN; ++v) {
      const int gj = j0 + tx + 16 * v;
      if (gj >= J) continue;
      float r = acc[u][v];
      if (bias) r += bias[gj];
      float* o = c + static_cast<int64_t>(gi) * J + gj;
      *o = accumulate ? *o + r : r;
    }
  }
}

void gemm(float* c, const float* a, const float* b, const float* bias, int I, int J, int P, int64_t a_si,
          int64_t a_sp, int64_t b_sp, int64_t b_sj, bool accumulate, const char* op) {
  if (I <= 0 || J <= 0) return;
  dim3 grid((J + BN - 1) / BN, (I + BM - 1) / BM);
  gemm_kernel<<<grid, 256, 0, stream()>>>(c, a, b, bias, I, J, P, a_si, a_sp, b_sp, b_sj, accumulate);
  check_launch(op);
}

// partial[chunk, n] = sum over rows of the chunk (in order) of x[r, n], in double
__global__ void colsum_partial(double* partial, const float* x, int R, int N) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x, chunk = blockIdx.y;
  if (n >= N) return;
  const int r0 = chunk * kRowChunk, r1 = r0 + kRowChunk < R ? r0 + kRowChunk : R;
  double s = 0.0;
  for (int r = r0; r < r1; ++r) s += x[static_cast<int64_t>(r) * N + n];
  partial[static_cast<int64_t>(chunk) * N + n] = s;
}

// out[n] += sum over chunks (in order) of partial[chunk, n]
__global__ void colsum_finish(float* out, const double* partial, int chunks, int N) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= N) return;
  double s = 0.0;
  for (int k = 0; k < chunks; ++k) s += partial[static_cast<int64_t>(k) * N + n];
  out[n] += static_cast<float>(s);
}

}  // namespace

// out (M, N) = inp (M, K) . weight (N, K)^T + bias (N)
void linear_forward(float* out, const float* inp, const float* weight, const float* bias, const MatDims& d) {
  gemm(out, inp, weight, bias, d.M, d.N, d.K, d.K, 1, 1, d.K, false, "linear_forward");
}

// d/d(inp, weight, bias) of out = inp . weight^T + bias
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                     const float* weight, const MatDims& d) {
  if (dinp) gemm(dinp, dout, weight, nullptr, d.M, d.K, d.N, d.N, 1, d.K, 1, true, "linear_backward (dinp)");
  if (dweight) gemm(dweight, dout, inp, nullptr, d.N, d.K, d.M, 1, d.N, d.K, 1, true, "linear_backward (dweight)");
  if (dbias && d.M > 0 && d.N > 0) {
    const int chunks = (d.M + kRowChunk - 1) / kRowChunk;
    double* partial = static_cast<double*>(scratch(static_cast<int64_t>(chunks) * d.N * sizeof(double)));
    if (!partial) return;
    dim3 grid((d.N + 63) / 64, chunks);
    colsum_partial<<<grid, 64, 0, stream()>>>(partial, dout, d.M, d.N);
    colsum_finish<<<(d.N + 63) / 64, 64, 0, stream()>>>(dbias, partial, chunks, d.N);
    check_launch("linear_backward (dbias)");
  }
}

}  // namespace cuda
}  // namespace vj
