#include "engine/philox.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/threadpool.h"

namespace vj {

// Both fills walk the stream one Philox block (4 words) at a time, so each block is computed
// once; the values are exactly philox_normal / philox_uniform at every index.
void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  parallel_for(n, 4096, [&](int64_t b, int64_t e) {
    int64_t k = b;
    while (k < e) {
      const uint64_t i = offset + static_cast<uint64_t>(k);
      const uint64_t first = i & 3;
      const int64_t take = std::min<int64_t>(static_cast<int64_t>(4 - first), e - k);
      Philox4 r = philox4x32_10(seed, i >> 2);
      float z[4];
      for (int pair = 0; pair < 2; ++pair) {
        float u1 = u32_to_unit(r.v[2 * pair]), u2 = u32_to_unit(r.v[2 * pair + 1]);
        float rad = std::sqrt(-2.0f * std::log(u1));
        float th = 6.283185307179586f * u2;
        z[2 * pair] = rad * std::cos(th);
        z[2 * pair + 1] = rad * std::sin(th);
      }
      for (int64_t t = 0; t < take; ++t) out[k + t] = z[first + static_cast<uint64_t>(t)];
      k += take;
    }
  });
}

void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset) {
  parallel_for(n, 4096, [&](int64_t b, int64_t e) {
    int64_t k = b;
    while (k < e) {
      const uint64_t i = offset + static_cast<uint64_t>(k);
      const uint64_t first = i & 3;
      const int64_t take = std::min<int64_t>(static_cast<int64_t>(4 - first), e - k);
      Philox4 r = philox4x32_10(seed, i >> 2);
      for (int64_t t = 0; t < take; ++t) out[k + t] = u32_to_unit(r.v[first + static_cast<uint64_t>(t)]);
      k += take;
    }
  });
}

void dropout_mask(uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset, bool threaded) {
  if (n <= 0) return;
  if (!(p > 0.f)) {
    std::memset(mask, 1, static_cast<size_t>(n));
    return;
  }
  const uint64_t kChunk = 4096, kSalt = 0xD1B54A32D192ED03ull;
  const uint64_t first = offset / kChunk, last = (offset + static_cast<uint64_t>(n) - 1) / kChunk;
  const double inv_log_keep = 1.0 / std::log1p(-static_cast<double>(p));
  auto chunk = [&](uint64_t c) {
    const uint64_t base = c * kChunk;
    const uint64_t lo = std::max(base, offset), hi = std::min(base + kChunk, offset + static_cast<uint64_t>(n));
    std::memset(mask + (lo - offset), 1, static_cast<size_t>(hi - lo));
    double pos = -1;
    for (uint64_t draw = 0;; ++draw) {
      const double u = philox_uniform(seed ^ kSalt, c * kChunk + draw);
      pos += std::floor(std::log(u) * inv_log_keep) + 1;  // geometric gap: failures before a drop
      if (pos >= static_cast<double>(kChunk)) break;
      const uint64_t at = base + static_cast<uint64_t>(pos);
      if (at >= offset && at < offset + static_cast<uint64_t>(n)) mask[at - offset] = 0;
    }
  };
  const int64_t chunks = static_cast<int64_t>(last - first + 1);
  if (threaded) {
    parallel_for(chunks, 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) chunk(first + static_cast<uint64_t>(i));
    });
  } else {
    for (int64_t i = 0; i < chunks; ++i) chunk(first + static_cast<uint64_t>(i));
  }
}

}  // namespace vj
