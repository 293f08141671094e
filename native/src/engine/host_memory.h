// Zeroed host memory for arenas and buffers. Large blocks come straight from the kernel (mmap):
// zero pages that cost neither time nor resident memory until first written, and that go back
// to the kernel when freed, whatever the process allocated before. (calloc gives that only while
// glibc serves a size by mmap; after a large block is freed it raises that threshold, serves
// later blocks from the heap and zeroes them by hand, so every page became resident.)
#pragma once
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

namespace vj {

constexpr int64_t kHostMmapBytes = int64_t(1) << 18;  // 256 KiB and up: mmap

// bytes of zeroed memory, 64-byte aligned, or null; free with host_free(p, bytes)
inline void* host_alloc_zeroed(int64_t bytes) {
  if (bytes >= kHostMmapBytes) {
    void* p = mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;  // page aligned
  }
  void* p = nullptr;
  if (posix_memalign(&p, 64, static_cast<size_t>(bytes > 0 ? bytes : 64)) != 0) return nullptr;
  return __builtin_memset(p, 0, static_cast<size_t>(bytes > 0 ? bytes : 64));
}

inline void host_free(void* p, int64_t bytes) {
  if (!p) return;
  if (bytes >= kHostMmapBytes) munmap(p, static_cast<size_t>(bytes));
  else std::free(p);
}

}  // namespace vj
