#include "engine/philox.h"

#include "engine/threadpool.h"

namespace vj {

void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  parallel_for(n, 4096, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) out[k] = philox_normal(seed, offset + static_cast<uint64_t>(k));
  });
}

void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  parallel_for(n, 4096, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) out[k] = philox_uniform(seed, offset + static_cast<uint64_t>(k));
  });
}

}  // namespace vj
