#include "engine/threadpool.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/error.h"

namespace vj {
namespace {

thread_local bool t_in_region = false;  // nested regions run serially on the calling thread

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// A region is split into `parts` fixed contiguous ranges. Parts are claimed through one 64-bit
// ticket (generation << 32 | next part), by the caller and by every worker that wakes in time,
// so a worker the OS is slow to schedule never holds the caller up: the caller takes its parts.
// Which thread runs a part never changes what the part computes. Workers spin (with pause) on
// the generation for a while between regions, then sleep on a condition variable.
class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop_workers(); }

  int size() const { return nthreads_; }

  void resize(int n) {
    std::lock_guard<std::mutex> region(region_mu_);
    stop_workers();
    nthreads_ = n;
    stop_ = false;
    // each worker starts from the generation current now: one read later, inside the new
    // thread, could already see the next region's bump and sleep through it
    const uint64_t start = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, start] { worker_loop(start); });
  }

  void run(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (t_in_region) {
      fn(ctx, 0, n);
      return;
    }
    std::lock_guard<std::mutex> region(region_mu_);
    struct Flag {
      Flag() { t_in_region = true; }
      ~Flag() { t_in_region = false; }
    } flag;
    int64_t chunks = (n + grain - 1) / grain;
    int parts = static_cast<int>(chunks < nthreads_ ? chunks : nthreads_);
    if (parts <= 1) {
      fn(ctx, 0, n);
      return;
    }
    job_fn_ = fn;
    job_ctx_ = ctx;
    job_n_ = n;
    job_grain_ = grain;
    job_parts_ = parts;
    done_.store(0, std::memory_order_relaxed);
    const uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
    ticket_.store(gen << 32, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lk(mu_);
      generation_.store(gen, std::memory_order_release);
    }
    if (sleeping_.load(std::memory_order_acquire) > 0) cv_.notify_all();
    work(gen);
    while (done_.load(std::memory_order_acquire) != parts) cpu_relax();
  }

 private:
  // claims and runs parts of region `gen` until none is left
  void work(uint64_t gen) {
    for (;;) {
      uint64_t t = ticket_.load(std::memory_order_acquire);
      for (;;) {
        if ((t >> 32) != gen || static_cast<int>(t & 0xffffffffu) >= job_parts_) return;
        if (ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) break;
      }
      run_part(static_cast<int>(t & 0xffffffffu));
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void run_part(int part) {
    int64_t chunks = (job_n_ + job_grain_ - 1) / job_grain_;
    int64_t c0 = chunks * part / job_parts_, c1 = chunks * (part + 1) / job_parts_;
    int64_t b = c0 * job_grain_, e = c1 * job_grain_;
    if (e > job_n_) e = job_n_;
    if (b < e) job_fn_(job_ctx_, b, e);
  }

  void worker_loop(uint64_t seen) {
    for (;;) {
      int spins = 0;
      uint64_t g;
      while ((g = generation_.load(std::memory_order_acquire)) == seen && !stop_.load(std::memory_order_relaxed)) {
        cpu_relax();
        if (++spins > 40000) {  // about a millisecond of spinning, then sleep
          std::unique_lock<std::mutex> lk(mu_);
          sleeping_.fetch_add(1, std::memory_order_acq_rel);
          cv_.wait(lk, [&] { return generation_.load() != seen || stop_.load(); });
          sleeping_.fetch_sub(1, std::memory_order_acq_rel);
          spins = 0;
        }
      }
      if (stop_.load()) return;
      seen = g;
      t_in_region = true;
      work(g);
      t_in_region = false;
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  int nthreads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex region_mu_;  // one parallel region at a time, process-wide
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> done_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
  RangeFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  int64_t job_n_ = 0, job_grain_ = 1;
  int job_parts_ = 0;
};

Pool& pool() {
  // Created on first use and intentionally never destroyed: worker threads must not be joined
  // from static destructors while Node is tearing the process down.
  static Pool* p = new Pool(default_threads());
  return *p;
}

}  // namespace

int default_threads() {
  if (const char* env = std::getenv("VARJEPA_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1 && n <= 256) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc > 256 ? 256 : hc);
}

void parallel_for_raw(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
  pool().run(n, grain, fn, ctx);
}

void parallel_zero(float* dst, int64_t n) {
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) { std::memset(dst + b, 0, static_cast<size_t>(e - b) * sizeof(float)); });
}

void parallel_copy(float* dst, const float* src, int64_t n) {
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    std::memcpy(dst + b, src + b, static_cast<size_t>(e - b) * sizeof(float));
  });
}

void parallel_memset(void* dst, int value, int64_t bytes) {
  if (bytes <= 0) return;
  char* d = static_cast<char*>(dst);
  parallel_for(bytes, 1 << 18, [&](int64_t b, int64_t e) { std::memset(d + b, value, static_cast<size_t>(e - b)); });
}

void parallel_memcpy(void* dst, const void* src, int64_t bytes) {
  if (bytes <= 0 || dst == src) return;
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  if (d < s + bytes && s < d + bytes) {
    std::memmove(d, s, static_cast<size_t>(bytes));
    return;
  }
  parallel_for(bytes, 1 << 18, [&](int64_t b, int64_t e) { std::memcpy(d + b, s + b, static_cast<size_t>(e - b)); });
}

int num_threads() { return pool().size(); }

void set_threads(int n) {
  if (n < 1 || n > 256) throw_range("threads must be an integer between 1 and 256");
  if (n != pool().size()) pool().resize(n);
}

}  // namespace vj
