// Shared pieces of the CUDA backend: access to the per-device context (one stream, a reusable scratch
// block, the sticky error), launch helpers and the fixed-order reductions that keep results
// independent of the launch configuration (the thread-count rule of engine/backend.h).
// Nothing here throws, exits or prints: failures are recorded and read back through
// Backend::last_error by the addon.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "engine/backend.h"

namespace vj {
namespace cuda {

// the stream of the current context (context.cu): the device the calling table entry belongs to
cudaStream_t stream();
// records the first failure (later ones are dropped until cleared)
void set_error(const char* what, cudaError_t e);
void set_error_text(const char* what);
// device scratch of at least `bytes`, reused between ops; grown (rarely) with cudaMalloc.
// Valid until the next scratch() call; null (with the error recorded) when out of memory.
void* scratch(int64_t bytes);
// checks the launch that just happened
void check_launch(const char* op);

constexpr int kThreads = 256;
inline int blocks_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  return static_cast<int>(b < 1 ? 1 : (b > 65535 * 16 ? 65535 * 16 : b));
}

// grid-stride loop over [0, n)
#define VJ_GRID_LOOP(i, n)                                                              \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);              \
       i += (int64_t)blockDim.x * gridDim.x)

// Column sums in a fixed order: out[c] += sum over rows r of f(r, c), for rows (R) and columns
// (C). Rows are cut into chunks of kRowChunk; each chunk's partial sum (in double, rows in order)
// is summed over chunks in order. Used for bias, LayerNorm weight and tokeniser gradients.
constexpr int kRowChunk = 256;

}  // namespace cuda
}  // namespace vj
