// The Philox streams of engine/philox.h on the device. The generator itself is the one inline
// definition in philox.h (compiled here for the device), so values depend only on (seed, index)
// exactly as on the CPU:
// - uniform: integer arithmetic and one exact float scaling: bit-identical to the CPU.
// - dropout masks: the same chunked geometric-gap walk as vj::dropout_mask, one thread per
//   4096-position chunk; the gap uses log in double. The CPU's glibc log and CUDA's log (max
//   1 ulp) can differ in the last bit, which changes a mask only when log(u) / log(1 - p) lies
//   within an ulp of an integer (a probability near 1e-16 per drop). 1 / log1p(-p) itself is
//   computed on the host with the CPU's function.
// - normal: Box-Muller in float with logf, sinf, cosf; CUDA's and glibc's float functions may
//   differ in the last bit, so normals can differ by an ulp or so. The model uploads noise
//   drawn on the host (engine/philox.cc) where bit-identical noise matters.
// Compiled with --fmad=false (CMakeLists.txt) so no product-sum is fused differently.
#include <cmath>

#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

__global__ void fill_uniform_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  VJ_GRID_LOOP(k, n) out[k] = philox_uniform(seed, offset + static_cast<uint64_t>(k));
}

__global__ void fill_normal_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  VJ_GRID_LOOP(k, n) out[k] = philox_normal(seed, offset + static_cast<uint64_t>(k));
}

constexpr uint64_t kChunk = 4096, kSalt = 0xD1B54A32D192ED03ull;

// one thread per chunk c in [first, first + chunks): mask positions offset..offset+n of it
__global__ void dropout_mask_kernel(uint8_t* mask, int64_t n, uint64_t seed, uint64_t offset, uint64_t first,
                                    int64_t chunks, double inv_log_keep) {
  VJ_GRID_LOOP(ci, chunks) {
    const uint64_t c = first + static_cast<uint64_t>(ci), base = c * kChunk;
    const uint64_t end = offset + static_cast<uint64_t>(n);
    const uint64_t lo = base > offset ? base : offset, hi = base + kChunk < end ? base + kChunk : end;
    for (uint64_t at = lo; at < hi; ++at) mask[at - offset] = 1;
    double pos = -1;
    for (uint64_t draw = 0;; ++draw) {
      const double u = philox_uniform(seed ^ kSalt, c * kChunk + draw);
      pos += floor(log(u) * inv_log_keep) + 1;  // geometric gap: failures before a drop
      if (pos >= static_cast<double>(kChunk)) break;
      const uint64_t at = base + static_cast<uint64_t>(pos);
      if (at >= offset && at < end) mask[at - offset] = 0;
    }
  }
}

}  // namespace

// out (n) = uniform(seed, offset + k)
void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  if (n <= 0) return;
  fill_uniform_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(out, n, seed, offset);
  check_launch("fill_uniform");
}

// out (n) = normal(seed, offset + k)
void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  if (n <= 0) return;
  fill_normal_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(out, n, seed, offset);
  check_launch("fill_normal");
}

// mask (n): vj::dropout_mask on the device
void dropout_mask(uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset) {
  if (n <= 0) return;
  if (!(p > 0.f)) {
    cudaError_t e = cudaMemsetAsync(mask, 1, static_cast<size_t>(n), stream());
    if (e != cudaSuccess) set_error("dropout mask", e);
    return;
  }
  const uint64_t first = offset / kChunk, last = (offset + static_cast<uint64_t>(n) - 1) / kChunk;
  const int64_t chunks = static_cast<int64_t>(last - first + 1);
  const double inv_log_keep = 1.0 / std::log1p(-static_cast<double>(p));  // the CPU's log1p
  dropout_mask_kernel<<<blocks_for(chunks, 64), 64, 0, stream()>>>(mask, n, seed, offset, first, chunks,
                                                                   inv_log_keep);
  check_launch("dropout_mask");
}

}  // namespace cuda
}  // namespace vj
