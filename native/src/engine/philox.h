// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): the value at counter i
// depends only on (seed, i), so results do not depend on thread count or scheduling.
#pragma once
#include <cmath>
#include <cstdint>

// Under nvcc the stream functions are also compiled for the device (native/src/cuda/philox.cu),
// from this one definition, so both sides draw the same bits.
#ifdef __CUDACC__
#define VJ_HOST_DEVICE __host__ __device__
#else
#define VJ_HOST_DEVICE
#endif

namespace vj {

struct Philox4 {
  uint32_t v[4];
};

VJ_HOST_DEVICE inline Philox4 philox4x32_10(uint64_t seed, uint64_t counter) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0x9E3779B9u, c3 = 0x85EBCA6Bu;  // fixed stream constants
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = static_cast<uint32_t>(p1);
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = static_cast<uint32_t>(p0);
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// uniform in (0, 1): 24 random bits, never exactly 0 or 1
VJ_HOST_DEVICE inline float u32_to_unit(uint32_t x) { return (static_cast<float>(x >> 8) + 0.5f) * (1.0f / 16777216.0f); }

// element i of the uniform stream (seed, offset)
VJ_HOST_DEVICE inline float philox_uniform(uint64_t seed, uint64_t i) {
  Philox4 r = philox4x32_10(seed, i >> 2);
  return u32_to_unit(r.v[i & 3]);
}

// element i of the standard normal stream (seed, offset): Box-Muller on a pair of uniforms,
// each counter block gives two pairs
VJ_HOST_DEVICE inline float philox_normal(uint64_t seed, uint64_t i) {
  Philox4 r = philox4x32_10(seed, i >> 2);
  int pair = static_cast<int>((i >> 1) & 1);
  float u1 = u32_to_unit(r.v[2 * pair]), u2 = u32_to_unit(r.v[2 * pair + 1]);
  float rad = std::sqrt(-2.0f * std::log(u1));
  float th = 6.283185307179586f * u2;
  return (i & 1) ? rad * std::sin(th) : rad * std::cos(th);
}

// Dropout masks: mask[k] = 0 with probability p, else 1, independently for each absolute
// position offset + k. Positions are grouped in fixed chunks of 4096; each chunk draws the gaps
// between its dropped positions from a geometric distribution (one Philox uniform per drop,
// stream (seed ^ kDropoutSalt, chunk * 4096 + draw)), so the cost is about n * p draws and the
// result depends only on (seed, position), never on threads or on how the range is split.
void dropout_mask(uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset, bool threaded);

// fills out[k] = normal(seed, offset + k)
void fill_normal(float* out, int64_t n, uint64_t seed, uint64_t offset);
void fill_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset);

}  // namespace vj
