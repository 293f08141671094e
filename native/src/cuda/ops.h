// Declarations of the CUDA ops (native/src/cuda/*.cu), namespace vj::cuda. Signatures mirror
// Backend (engine/backend_ops.inc); every pointer is device memory from the backend's mem_alloc.
#pragma once
#include <cstdint>

#include "engine/backend.h"
#include "engine/philox.h"

namespace vj {
namespace cuda {

// every op of the list, declared in this namespace
#define VJ_OP(ret, name, params) ret name params;
#include "engine/backend_ops.inc"
#undef VJ_OP

// philox.cu: the engine/philox.h streams written straight into device memory
void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset);
void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset);
void dropout_mask(uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset);

}  // namespace cuda
}  // namespace vj
