// CUDA: LayerNorm over the last dimension (ref/norm.cc), eps 1e-5. One warp per row for the
// row statistics and dinp (lane-strided sums combined by a fixed butterfly, in double); dweight
// and dbias are column sums over fixed row chunks, in double, summed over chunks in order.
#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

constexpr double kLayerNormEps = 1e-5;

__device__ inline double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// out (M, C) = (inp - mean) * rstd * weight + bias; mean, rstd (M)
__global__ void ln_fwd(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, int M, int C) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= M) return;
  const float* x = inp + static_cast<int64_t>(row) * C;
  double s = 0.0;
  for (int c = lane; c < C; c += 32) s += x[c];
  const double mu = warp_sum(s) / C;
  double v = 0.0;
  for (int c = lane; c < C; c += 32) {
    const double xc = x[c] - mu;
    v += xc * xc;
  }
  const double var = warp_sum(v) / C;
  const double rs = 1.0 / sqrt(var + kLayerNormEps);
  float* o = out + static_cast<int64_t>(row) * C;
  for (int c = lane; c < C; c += 32) o[c] = static_cast<float>((x[c] - mu) * rs * weight[c] + bias[c]);
  if (lane == 0) {
    mean[row] = static_cast<float>(mu);
    rstd[row] = static_cast<float>(rs);
  }
}

// dinp += rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)), g = dout * weight
__global__ void ln_bwd_inp(float* dinp, const float* dout, const float* inp, const float* weight,
                           const float* mean, const float* rstd, int M, int C) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= M) return;
  const float* x = inp + static_cast<int64_t>(row) * C;
  const float* go = dout + static_cast<int64_t>(row) * C;
  const double mu = mean[row], rs = rstd[row];
  double gs = 0.0, gxs = 0.0;
  for (int c = lane; c < C; c += 32) {
    const double g = static_cast<double>(go[c]) * weight[c];
    gs += g;
    gxs += g * (x[c] - mu) * rs;
  }
  const double g_mean = warp_sum(gs) / C, gx_mean = warp_sum(gxs) / C;
  float* gi = dinp + static_cast<int64_t>(row) * C;
  for (int c = lane; c < C; c += 32) {
    const double g = static_cast<double>(go[c]) * weight[c];
    const double xhat = (x[c] - mu) * rs;
    gi[c] += static_cast<float>(rs * (g - g_mean - xhat * gx_mean));
  }
}

// partial (chunks, 2, C): sums over a chunk of rows of dout * xhat and of dout
__global__ void ln_bwd_partial(double* partial, const float* dout, const float* inp, const float* mean,
                               const float* rstd, int M, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x, chunk = blockIdx.y;
  if (c >= C) return;
  const int r0 = chunk * kRowChunk, r1 = r0 + kRowChunk < M ? r0 + kRowChunk : M;
  double gw = 0.0, gb = 0.0;
  for (int m = r0; m < r1; ++m) {
    const double g = dout[static_cast<int64_t>(m) * C + c];
    gw += g * ((inp[static_cast<int64_t>(m) * C + c] - static_cast<double>(mean[m])) * rstd[m]);
    gb += g;
  }
  partial[(static_cast<int64_t>(chunk) * 2) * C + c] = gw;
  partial[(static_cast<int64_t>(chunk) * 2 + 1) * C + c] = gb;
}

__global__ void ln_bwd_finish(float* dweight, float* dbias, const double* partial, int chunks, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double gw = 0.0, gb = 0.0;
  for (int k = 0; k < chunks; ++k) {
    gw += partial[(static_cast<int64_t>(k) * 2) * C + c];
    gb += partial[(static_cast<int64_t>(k) * 2 + 1) * C + c];
  }
  if (dweight) dweight[c] += static_cast<float>(gw);
  if (dbias) dbias[c] += static_cast<float>(gb);
}

}  // namespace

// out (M, C), mean (M), rstd (M); inp (M, C); weight, bias (C)
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* weight,
                       const float* bias, const RowDims& d) {
  if (d.M <= 0) return;
  ln_fwd<<<(d.M + 7) / 8, 256, 0, stream()>>>(out, mean, rstd, inp, weight, bias, d.M, d.C);
  check_launch("layernorm_forward");
}

// backward of out = xhat * weight + bias, xhat = (inp - mean) * rstd
void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout, const float* inp,
                        const float* weight, const float* mean, const float* rstd, const RowDims& d) {
  if (d.M <= 0) return;
  if (dinp) {
    ln_bwd_inp<<<(d.M + 7) / 8, 256, 0, stream()>>>(dinp, dout, inp, weight, mean, rstd, d.M, d.C);
    check_launch("layernorm_backward (dinp)");
  }
  if (dweight || dbias) {
    const int chunks = (d.M + kRowChunk - 1) / kRowChunk;
    double* partial = static_cast<double*>(scratch(static_cast<int64_t>(chunks) * 2 * d.C * sizeof(double)));
    if (!partial) return;
    dim3 grid((d.C + 63) / 64, chunks);
    ln_bwd_partial<<<grid, 64, 0, stream()>>>(partial, dout, inp, mean, rstd, d.M, d.C);
    ln_bwd_finish<<<(d.C + 63) / 64, 64, 0, stream()>>>(dweight, dbias, partial, chunks, d.C);
    check_launch("layernorm_backward (dweight, dbias)");
  }
}

}  // namespace cuda
}  // namespace vj
