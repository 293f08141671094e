// One process-wide pool of worker threads shared by every model and op, so two models training
// in one process share the cores instead of oversubscribing them: a parallel region holds the
// pool, and a second caller waits for it. Sized from the machine (VARJEPA_THREADS overrides);
// set_threads() changes it between regions.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <vector>

namespace vj {

using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);

// Runs fn over [0, n) split into contiguous chunks of at least `grain` items. The split only
// decides which thread computes which outputs; ops must not let it change arithmetic order.
void parallel_for_raw(int64_t n, int64_t grain, RangeFn fn, void* ctx);

template <class F>
inline void parallel_for(int64_t n, int64_t grain, F&& f) {
  parallel_for_raw(
      n, grain, [](void* c, int64_t b, int64_t e) { (*static_cast<F*>(c))(b, e); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

// Runs fn(piece, part) for every piece in [0, pieces): one part per pool thread (at most
// `parts`), each taking the next piece until none is left, so a thread the OS holds up leaves its
// share to the others. Inside fn the ops run serially (a nested region). `part` says which
// per-thread resources fn may use; which part runs a piece must not change what the piece
// computes. The first exception (in piece order) is rethrown after every part has stopped.
template <class F>
inline void parallel_pieces(int64_t pieces, int parts, F&& fn) {
  std::atomic<int64_t> next{0};
  std::vector<std::exception_ptr> failed(static_cast<size_t>(pieces > 0 ? pieces : 0));
  parallel_for(parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t part = p0; part < p1; ++part)
      for (int64_t i; (i = next.fetch_add(1)) < pieces;) {
        try {
          fn(i, static_cast<int>(part));
        } catch (...) {
          failed[static_cast<size_t>(i)] = std::current_exception();
          next.store(pieces);
        }
      }
  });
  for (auto& e : failed)
    if (e) std::rethrow_exception(e);
}

// dst[0, n) = 0 and dst[0, n) = src[0, n), split over the pool for large buffers
void parallel_zero(float* dst, int64_t n);
void parallel_copy(float* dst, const float* src, int64_t n);
// the same on bytes, with the signatures of Backend::mem_set and copy_on_device (the CPU
// backends' memory functions); overlapping ranges are moved on one thread
void parallel_memset(void* dst, int value, int64_t bytes);
void parallel_memcpy(void* dst, const void* src, int64_t bytes);

int num_threads();
void set_threads(int n);  // 1..256
int default_threads();

}  // namespace vj
