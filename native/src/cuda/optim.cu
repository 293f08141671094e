// CUDA: AdamW on a flat arena, sum of squares for clipping by global norm, in-place scaling and
// the EMA update (ref/optim.cc). AdamW arithmetic in double like the reference; sum_squares sums
// fixed chunks in double, then the chunk sums in order on the host (it returns a number, so it
// waits for the stream).
#include <cmath>
#include <vector>

#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

constexpr int kChunk = 4096;

__global__ void adamw_kernel(float* params, float* m, float* v, const float* grads, const uint8_t* decay,
                             double lr, double b1, double b2, double eps, double wd, double bc1, double bc2,
                             int64_t n) {
  VJ_GRID_LOOP(i, n) {
    double p = params[i];
    const double g = grads[i];
    if (decay && decay[i]) p -= lr * wd * p;
    const double mi = b1 * m[i] + (1.0 - b1) * g;
    const double vi = b2 * v[i] + (1.0 - b2) * g * g;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    p -= lr * (mi / bc1) / (sqrt(vi / bc2) + eps);
    params[i] = static_cast<float>(p);
  }
}

// partial[k] = sum of x^2 over chunk k, elements in order (one thread per chunk)
__global__ void sumsq_partial(double* partial, const float* x, int64_t n, int64_t chunks) {
  VJ_GRID_LOOP(k, chunks) {
    const int64_t i0 = k * kChunk, i1 = i0 + kChunk < n ? i0 + kChunk : n;
    double acc = 0.0;
    for (int64_t i = i0; i < i1; ++i) acc += static_cast<double>(x[i]) * x[i];
    partial[k] = acc;
  }
}

__global__ void scale_kernel(float* x, float s, int64_t n) {
  VJ_GRID_LOOP(i, n) x[i] *= s;
}

__global__ void ema_kernel(float* target, const float* source, double mo, int64_t n) {
  VJ_GRID_LOOP(i, n) target[i] = static_cast<float>(mo * target[i] + (1.0 - mo) * source[i]);
}

}  // namespace

// AdamW with decoupled weight decay; bias corrections computed once here, on the host
void adamw_update(float* params, float* m, float* v, const float* grads, const uint8_t* decay,
                  const AdamwHparams& h, int64_t n) {
  if (n <= 0) return;
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  adamw_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(params, m, v, grads, decay, h.lr, h.beta1, h.beta2, h.eps,
                                                         h.weight_decay, bc1, bc2, n);
  check_launch("adamw_update");
}

// sum over x (n) of x^2, in double
double sum_squares(const float* x, int64_t n) {
  if (n <= 0) return 0.0;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  double* partial = static_cast<double*>(scratch(chunks * static_cast<int64_t>(sizeof(double))));
  if (!partial) return NAN;
  sumsq_partial<<<blocks_for(chunks, 128), 128, 0, stream()>>>(partial, x, n, chunks);
  check_launch("sum_squares");
  std::vector<double> host(static_cast<size_t>(chunks));
  cudaError_t e = cudaMemcpyAsync(host.data(), partial, static_cast<size_t>(chunks) * sizeof(double),
                                  cudaMemcpyDeviceToHost, stream());
  if (e == cudaSuccess) e = cudaStreamSynchronize(stream());
  if (e != cudaSuccess) {
    set_error("sum_squares (read back)", e);
    return NAN;
  }
  double s = 0.0;
  for (double v : host) s += v;
  return s;
}

// x (n) *= s
void scale_inplace(float* x, float s, int64_t n) {
  if (n <= 0) return;
  scale_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(x, s, n);
  check_launch("scale_inplace");
}

// target (n) = momentum * target + (1 - momentum) * source
void ema_update(float* target, const float* source, float momentum, int64_t n) {
  if (n <= 0) return;
  ema_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(target, source, momentum, n);
  check_launch("ema_update");
}

}  // namespace cuda
}  // namespace vj
