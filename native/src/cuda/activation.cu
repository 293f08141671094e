// CUDA: elementwise activations, the residual add and inverted dropout (ref/activation.cc).
// One thread per element; GELU in double like the reference.
#include <cmath>

#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

__global__ void relu_fwd(float* out, const float* inp, int64_t n) {
  VJ_GRID_LOOP(i, n) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}
__global__ void relu_bwd(float* dinp, const float* dout, const float* inp, int64_t n) {
  VJ_GRID_LOOP(i, n) if (inp[i] > 0.0f) dinp[i] += dout[i];
}

__device__ inline double norm_cdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); }

__global__ void gelu_fwd(float* out, const float* inp, int64_t n) {
  VJ_GRID_LOOP(i, n) {
    const double x = inp[i];
    out[i] = static_cast<float>(x * norm_cdf(x));
  }
}
__global__ void gelu_bwd(float* dinp, const float* dout, const float* inp, int64_t n) {
  VJ_GRID_LOOP(i, n) {
    const double x = inp[i];
    const double pdf = 0.39894228040143267794 * exp(-0.5 * x * x);
    dinp[i] += static_cast<float>(dout[i] * (norm_cdf(x) + x * pdf));
  }
}

__global__ void add_fwd(float* out, const float* a, const float* b, int64_t n) {
  VJ_GRID_LOOP(i, n) out[i] = a[i] + b[i];
}
__global__ void add_bwd(float* da, float* db, const float* dout, int64_t n) {
  VJ_GRID_LOOP(i, n) {
    if (da) da[i] += dout[i];
    if (db) db[i] += dout[i];
  }
}

__global__ void dropout_apply(float* out, const uint8_t* mask, const float* inp, float scale, int64_t n) {
  VJ_GRID_LOOP(i, n) out[i] = inp[i] * (static_cast<float>(mask[i]) * scale);
}
__global__ void dropout_bwd(float* dinp, const float* dout, const uint8_t* mask, float scale, int64_t n) {
  VJ_GRID_LOOP(i, n) if (mask[i]) dinp[i] += dout[i] * scale;
}

}  // namespace

// out (n) = max(inp, 0)
void relu_forward(float* out, const float* inp, int64_t n) {
  if (n <= 0) return;
  relu_fwd<<<blocks_for(n), kThreads, 0, stream()>>>(out, inp, n);
  check_launch("relu_forward");
}
// dinp += dout where inp > 0
void relu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  if (!dinp || n <= 0) return;
  relu_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dinp, dout, inp, n);
  check_launch("relu_backward");
}
// out (n) = inp * Phi(inp)
void gelu_forward(float* out, const float* inp, int64_t n) {
  if (n <= 0) return;
  gelu_fwd<<<blocks_for(n), kThreads, 0, stream()>>>(out, inp, n);
  check_launch("gelu_forward");
}
// backward of out = x Phi(x): dinp += dout * (Phi(x) + x phi(x))
void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  if (!dinp || n <= 0) return;
  gelu_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dinp, dout, inp, n);
  check_launch("gelu_backward");
}
// out (n) = a + b
void add_forward(float* out, const float* a, const float* b, int64_t n) {
  if (n <= 0) return;
  add_fwd<<<blocks_for(n), kThreads, 0, stream()>>>(out, a, b, n);
  check_launch("add_forward");
}
// backward of out = a + b: da += dout, db += dout
void add_backward(float* da, float* db, const float* dout, int64_t n) {
  if ((!da && !db) || n <= 0) return;
  add_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(da, db, dout, n);
  check_launch("add_backward");
}
// mask (n) from the device dropout_mask (philox.cu); out (n) = inp * mask / (1 - p)
void dropout_forward(float* out, uint8_t* mask, const float* inp, float p, uint64_t seed, uint64_t offset,
                     int64_t n) {
  if (n <= 0) return;
  dropout_mask(mask, n, p, seed, offset);
  dropout_apply<<<blocks_for(n), kThreads, 0, stream()>>>(out, mask, inp, 1.0f / (1.0f - p), n);
  check_launch("dropout_forward");
}
// backward of out = inp * mask / (1 - p): dinp += dout * mask / (1 - p)
void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, float p, int64_t n) {
  if (!dinp || n <= 0) return;
  dropout_bwd<<<blocks_for(n), kThreads, 0, stream()>>>(dinp, dout, mask, 1.0f / (1.0f - p), n);
  check_launch("dropout_backward");
}

}  // namespace cuda
}  // namespace vj
