// The backend interface (in the style of ggml): one table of functions that every backend fills
// in. CPU backends: "scalar" (native/src/ref, the plain reference and ground truth), "avx2" and
// "avx512" (native/src/cpu, the same sources compiled per instruction set). The CUDA backend
// (native/src/cuda, a library loaded at run time) fills the same table.
//
// The functions, their shapes and the conventions every backend keeps are listed once, in
// engine/backend_ops.inc; this header derives the table from that list. Each entry `name` gives
//   name_fn      the function pointer, taking the backend's context first (null: not provided)
//   name(...)    the call the models make: be.linear_forward(out, inp, w, b, dims) passes the
//                arguments on to name_fn with `context`
// A CPU backend's context is null; the CUDA backend's holds its stream, scratch block and sticky
// error, so two opened devices would not share state.
//
// The table crosses dlopen into the CUDA library: kBackendVersion (a hash of the whole list,
// so any change to an entry changes it) and sizeof(Backend) are checked by the loader, which
// refuses a library built from other sources.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "engine/dims.h"

namespace vj {

struct AdamwHparams {
  float lr, beta1, beta2, eps, weight_decay;
  int step;  // 1-based optimiser step; bias corrections are computed once per call from it
};

namespace detail {
// the pointer type of a backend function of signature Sig, taking the context first
template <class Sig>
struct ContextFn;
template <class R, class... A>
struct ContextFn<R(A...)> {
  using type = R (*)(void* context, A...);
};
}  // namespace detail

struct Backend {
  const char* name = nullptr;
  void* context = nullptr;  // the backend's own state; null on the CPU
  bool on_device = false;   // buffers are not host-addressable

#define VJ_OP(ret, name, params)                               \
  detail::ContextFn<ret params>::type name##_fn = nullptr;          \
  template <class... A>                                        \
  ret name(A&&... a) const {                                   \
    return name##_fn(context, std::forward<A>(a)...);          \
  }
#define VJ_MEM VJ_OP
#include "engine/backend_ops.inc"
#undef VJ_MEM
#undef VJ_OP
};

// The number of ops (VJ_OP entries) in the list, and how many a backend provides.
constexpr int kBackendOpCount = 0
#define VJ_OP(ret, name, params) +1
#include "engine/backend_ops.inc"
#undef VJ_OP
    ;
int backend_op_count(const Backend& b);

namespace detail {
constexpr uint64_t fnv1a(uint64_t h, const char* s) {
  for (; *s; ++s) h = (h ^ static_cast<unsigned char>(*s)) * 1099511628211ull;
  return h;
}
constexpr uint64_t backend_version() {
  uint64_t h = 14695981039346656037ull;
#define VJ_OP(ret, name, params) h = fnv1a(h, #ret " " #name #params ";");
#define VJ_MEM(ret, name, params) h = fnv1a(h, "mem " #ret " " #name #params ";");
#include "engine/backend_ops.inc"
#undef VJ_MEM
#undef VJ_OP
  return fnv1a(h, "AdamwHparams{lr,beta1,beta2,eps,weight_decay,step}");
}
}  // namespace detail
// Changes whenever an entry of the list (or AdamwHparams) changes.
constexpr uint64_t kBackendVersion = detail::backend_version();

// A host function as a table entry: drops the (null) context and calls F.
template <auto F>
struct HostFn;
template <class R, class... A, R (*F)(A...)>
struct HostFn<F> {
  static R call(void*, A... a) { return F(std::forward<A>(a)...); }
};

// The host memory functions of the CPU backends (aligned_alloc, memset, memcpy).
void* host_mem_alloc(int64_t bytes);
void host_mem_free(void* p);
void host_mem_set(void* dst, int value, int64_t bytes);
void host_mem_copy(void* dst, const void* src, int64_t bytes);
void host_synchronize();
const char* host_last_error();
void host_clear_error();
// Fills the memory entries of t with the host functions (the default memory of an Arena).
void set_host_memory(Backend& t);
// A CPU backend's table before its ops: the name, host memory with the zeroing and copies split
// over the thread pool (the arenas' large buffers).
Backend cpu_table(const char* name);
// A table with only the host memory functions (no ops).
const Backend& host_backend_memory();

// The backend for an instruction set. Throws vj::Error if the CPU lacks it.
const Backend& cpu_backend(const char* isa_name_or_null);
const Backend& backend_scalar();
// The CUDA backend for a device (engine/cuda_loader.cc): loads varjepa_cuda.so beside the addon
// on first use, checks its backend version and runs its self-test. Throws vj::Error naming the
// cause (no library, a library of another version, no driver, no device, out of memory, failed
// self-test).
const Backend& cuda_backend(int device_index);
// Throws vj::Error with the backend's last error (and clears it) when an op failed.
void check_backend(const Backend& b, const char* what);

}  // namespace vj
