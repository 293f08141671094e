// Backend selection: "scalar" (the reference), "avx2", "avx512", or null/"auto" for the best
// the CPU supports (VARJEPA_ISA in the environment overrides "auto"); the host memory functions
// and the CPU tables' common part; the op count and the error check every backend shares.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/backend.h"
#include "engine/cpu_features.h"
#include "engine/error.h"
#include "engine/threadpool.h"

namespace vj {
namespace avx2 { const Backend& backend(); }
namespace avx512 { const Backend& backend(); }

const Backend& cpu_backend(const char* name) {
  Isa isa = best_isa();
  const char* env = std::getenv("VARJEPA_ISA");
  const char* want = (name && *name && std::strcmp(name, "auto") != 0) ? name
                     : (env && *env && std::strcmp(env, "auto") != 0) ? env
                                                                       : nullptr;
  if (want) {
    if (!parse_isa(want, &isa))
      throw_range(std::string("Expected one of 'auto', 'scalar', 'avx2', 'avx512' for isa but received '") +
                  want + "'");
    if (!isa_supported(isa))
      throw_range(std::string("isa '") + want + "' is not supported by this CPU (best available: " +
                  isa_name(best_isa()) + ")");
  }
  switch (isa) {
    case Isa::Avx512: return avx512::backend();
    case Isa::Avx2: return avx2::backend();
    case Isa::Scalar: break;
  }
  return backend_scalar();
}

int backend_op_count(const Backend& b) {
  return 0
#define VJ_OP(ret, name, params) +(b.name##_fn != nullptr)
#include "engine/backend_ops.inc"
#undef VJ_OP
      ;
}

void* host_mem_alloc(int64_t bytes) {
  const size_t n = static_cast<size_t>(bytes > 0 ? bytes : 64);
  return std::aligned_alloc(64, (n + 63) / 64 * 64);
}
void host_mem_free(void* p) { std::free(p); }
void host_mem_set(void* dst, int value, int64_t bytes) {
  if (bytes > 0) std::memset(dst, value, static_cast<size_t>(bytes));
}
void host_mem_copy(void* dst, const void* src, int64_t bytes) {
  if (bytes > 0 && dst != src) std::memmove(dst, src, static_cast<size_t>(bytes));
}
void host_synchronize() {}
const char* host_last_error() { return nullptr; }
void host_clear_error() {}

void set_host_memory(Backend& t) {
  t.mem_alloc_fn = HostFn<&host_mem_alloc>::call;
  t.mem_free_fn = HostFn<&host_mem_free>::call;
  t.mem_set_fn = HostFn<&host_mem_set>::call;
  t.copy_to_device_fn = t.copy_to_host_fn = t.copy_on_device_fn = HostFn<&host_mem_copy>::call;
  t.synchronize_fn = HostFn<&host_synchronize>::call;
  t.last_error_fn = HostFn<&host_last_error>::call;
  t.clear_error_fn = HostFn<&host_clear_error>::call;
}

Backend cpu_table(const char* name) {
  Backend t;
  t.name = name;
  set_host_memory(t);
  t.mem_set_fn = HostFn<&parallel_memset>::call;
  t.copy_to_device_fn = t.copy_to_host_fn = t.copy_on_device_fn = HostFn<&parallel_memcpy>::call;
  return t;
}

const Backend& host_backend_memory() {
  static const Backend b = [] {
    Backend t;
    t.name = "host";
    set_host_memory(t);
    return t;
  }();
  return b;
}

void check_backend(const Backend& b, const char* what) {
  const char* e = b.last_error();
  if (!e) return;
  std::string msg = std::string(b.name) + " backend error in " + what + ": " + e;
  b.clear_error();
  throw Error(msg);
}

}  // namespace vj
