// The CUDA backend's context and entry points: device selection, the context (stream, scratch
// block, sticky error) the table carries, the memory functions of the Backend table (cudaMalloc
// taken once per arena and reused), a self-test, and the C functions the addon finds with dlsym
// (vj_cuda_backend_version, vj_cuda_backend_size, vj_cuda_open, vj_cuda_probe).
// The CUDA runtime is linked statically, so this library needs only the driver (libcuda.so).
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {

// The state of one opened device, held by its Backend table (Backend::context): the stream
// every op runs on, a reusable scratch block and the sticky error. Table entries reach it
// through DeviceFn below, which makes it the current context of the calling thread for the call.
struct Context {
  int device = -1;
  cudaStream_t stream = nullptr;
  void* scratch = nullptr;
  int64_t scratch_bytes = 0;
  char error[512] = {0};
  bool has_error = false;
};

namespace {
thread_local Context* t_current = nullptr;

// makes ctx the current context of this thread for a scope
struct CurrentContext {
  Context* previous;
  explicit CurrentContext(Context* ctx) : previous(t_current) { t_current = ctx; }
  ~CurrentContext() { t_current = previous; }
};

// A CUDA function as a table entry: runs F with the table's context current.
template <auto F>
struct DeviceFn;
template <class R, class... A, R (*F)(A...)>
struct DeviceFn<F> {
  static R call(void* ctx, A... a) {
    CurrentContext scope(static_cast<Context*>(ctx));
    return F(std::forward<A>(a)...);
  }
};
}  // namespace

static Context& current() { return *t_current; }

cudaStream_t stream() { return current().stream; }

void set_error_text(const char* what) {
  Context& c = current();
  if (c.has_error) return;
  std::snprintf(c.error, sizeof c.error, "%s", what);
  c.has_error = true;
}

void set_error(const char* what, cudaError_t e) {
  Context& c = current();
  if (c.has_error) return;
  std::snprintf(c.error, sizeof c.error, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
  c.has_error = true;
}

void check_launch(const char* op) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) set_error(op, e);
}

void* scratch(int64_t bytes) {
  Context& c = current();
  if (bytes <= c.scratch_bytes) return c.scratch;
  if (c.scratch) {
    cudaStreamSynchronize(c.stream);
    cudaFree(c.scratch);
    c.scratch = nullptr;
    c.scratch_bytes = 0;
  }
  const int64_t want = bytes < (1 << 20) ? (1 << 20) : bytes + bytes / 4;
  cudaError_t e = cudaMalloc(&c.scratch, static_cast<size_t>(want));
  if (e != cudaSuccess) {
    set_error("cudaMalloc of the scratch block", e);
    c.scratch = nullptr;
    return nullptr;
  }
  c.scratch_bytes = want;
  return c.scratch;
}

// ---- memory functions of the Backend table ----
static void* mem_alloc(int64_t bytes) {
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, static_cast<size_t>(bytes > 0 ? bytes : 256));
  if (e != cudaSuccess) {
    set_error("cudaMalloc (out of device memory?)", e);
    return nullptr;
  }
  return p;
}
static void mem_free(void* p) {
  if (!p) return;
  cudaStreamSynchronize(stream());
  cudaFree(p);
}
static void mem_set(void* dst, int value, int64_t bytes) {
  if (bytes <= 0) return;
  cudaError_t e = cudaMemsetAsync(dst, value, static_cast<size_t>(bytes), stream());
  if (e != cudaSuccess) set_error("cudaMemsetAsync", e);
}
// host buffers are pageable: these copies are synchronous with respect to the host
static void copy_to_device(void* dst, const void* src, int64_t bytes) {
  if (bytes <= 0) return;
  cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, stream());
  if (e == cudaSuccess) e = cudaStreamSynchronize(stream());
  if (e != cudaSuccess) set_error("copy host -> device", e);
}
static void copy_to_host(void* dst, const void* src, int64_t bytes) {
  if (bytes <= 0) return;
  cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToHost, stream());
  if (e == cudaSuccess) e = cudaStreamSynchronize(stream());
  if (e != cudaSuccess) set_error("copy device -> host", e);
}
static void copy_on_device(void* dst, const void* src, int64_t bytes) {
  if (bytes <= 0 || dst == src) return;
  cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice, stream());
  if (e != cudaSuccess) set_error("copy device -> device", e);
}
static void synchronize() {
  cudaError_t e = cudaStreamSynchronize(stream());
  if (e != cudaSuccess) set_error("cudaStreamSynchronize", e);
}
static const char* last_error() { return current().has_error ? current().error : nullptr; }
static void clear_error() {
  current().has_error = false;
  current().error[0] = 0;
}

// The table: the op list (engine/backend_ops.inc) filled with the vj::cuda functions.
static Backend make_backend(Context* ctx) {
  Backend t;
  t.name = "cuda";
  t.context = ctx;
  t.on_device = true;
#define VJ_OP(ret, name, params) t.name##_fn = DeviceFn<&cuda::name>::call;
#define VJ_MEM VJ_OP
#include "engine/backend_ops.inc"
#undef VJ_MEM
#undef VJ_OP
  return t;
}

// A tiny end-to-end check run before the backend is handed out: upload, one linear forward,
// one Philox uniform fill, read back, compare with values computed here on the host.
static bool self_test(const Backend& b, char* err, int errlen) {
  CurrentContext scope(static_cast<Context*>(b.context));  // for fill_uniform, called directly
  const float inp[6] = {1, 2, 3, -1, 0.5f, 2};       // (2, 3)
  const float w[6] = {0.5f, -1, 2, 1, 1, 1};          // (2, 3)
  const float bias[2] = {0.25f, -0.5f};
  float want[4];
  for (int m = 0; m < 2; ++m)
    for (int n = 0; n < 2; ++n) {
      double acc = bias[n];
      for (int k = 0; k < 3; ++k) acc += static_cast<double>(inp[m * 3 + k]) * w[n * 3 + k];
      want[m * 2 + n] = static_cast<float>(acc);
    }
  float* d = static_cast<float*>(b.mem_alloc(64 * sizeof(float)));
  if (!d) {
    std::snprintf(err, static_cast<size_t>(errlen), "self-test allocation failed: %s", current().error);
    return false;
  }
  b.copy_to_device(d, inp, sizeof inp);
  b.copy_to_device(d + 8, w, sizeof w);
  b.copy_to_device(d + 16, bias, sizeof bias);
  b.linear_forward(d + 24, d, d + 8, d + 16, MatDims{2, 3, 2});
  fill_uniform(d + 32, 8, 12345, 7);
  float got[4], uni[8];
  b.copy_to_host(got, d + 24, sizeof got);
  b.copy_to_host(uni, d + 32, sizeof uni);
  b.mem_free(d);
  if (current().has_error) {
    std::snprintf(err, static_cast<size_t>(errlen), "self-test failed: %s", current().error);
    return false;
  }
  for (int i = 0; i < 4; ++i)
    if (std::fabs(got[i] - want[i]) > 1e-5f * (1 + std::fabs(want[i]))) {
      std::snprintf(err, static_cast<size_t>(errlen), "self-test failed: linear_forward gave %g for %g", got[i], want[i]);
      return false;
    }
  for (int i = 0; i < 8; ++i)
    if (uni[i] != philox_uniform(12345, 7 + static_cast<uint64_t>(i))) {
      std::snprintf(err, static_cast<size_t>(errlen), "self-test failed: Philox uniform %d differs from the CPU stream", i);
      return false;
    }
  return true;
}

}  // namespace cuda
}  // namespace vj

namespace {
// what vj_cuda_open hands out: one opened device per process, its context and table
std::mutex g_open_mutex;
vj::cuda::Context g_context;
vj::Backend g_backend;
}  // namespace

extern "C" {

// The version and size of the Backend table this library fills (engine/backend.h); the loader
// refuses a library whose values differ from the addon's.
__attribute__((visibility("default"))) uint64_t vj_cuda_backend_version() { return vj::kBackendVersion; }
__attribute__((visibility("default"))) uint32_t vj_cuda_backend_size() { return static_cast<uint32_t>(sizeof(vj::Backend)); }

// Facts for `varjepa doctor`; never fails. Fills what it can, the rest stays empty.
//   driver / runtime: versions as 1000 * major + 10 * minor; devices: count (or -1 with err)
__attribute__((visibility("default"))) int vj_cuda_probe(int device, int* driver, int* runtime, int* devices,
                                                         char* name, int namelen, int* cc_major, int* cc_minor,
                                                         int64_t* memory, char* err, int errlen) {
  *driver = 0;
  *runtime = CUDART_VERSION;
  *devices = -1;
  *cc_major = *cc_minor = 0;
  *memory = 0;
  if (namelen > 0) name[0] = 0;
  if (errlen > 0) err[0] = 0;
  cudaError_t e = cudaDriverGetVersion(driver);
  if (e != cudaSuccess || *driver == 0) {
    std::snprintf(err, static_cast<size_t>(errlen), "no NVIDIA driver: libcuda.so could not be used (%s)",
                  e != cudaSuccess ? cudaGetErrorString(e) : "driver version 0");
    return 0;
  }
  e = cudaGetDeviceCount(devices);
  if (e != cudaSuccess) {
    std::snprintf(err, static_cast<size_t>(errlen), "no CUDA device: %s (%s)", cudaGetErrorString(e), cudaGetErrorName(e));
    *devices = 0;
    return 0;
  }
  if (device < 0 || device >= *devices) {
    std::snprintf(err, static_cast<size_t>(errlen), "no CUDA device with index %d (%d found)", device, *devices);
    return 0;
  }
  cudaDeviceProp p;
  e = cudaGetDeviceProperties(&p, device);
  if (e != cudaSuccess) {
    std::snprintf(err, static_cast<size_t>(errlen), "device %d: %s", device, cudaGetErrorString(e));
    return 0;
  }
  std::snprintf(name, static_cast<size_t>(namelen), "%s", p.name);
  *cc_major = p.major;
  *cc_minor = p.minor;
  *memory = static_cast<int64_t>(p.totalGlobalMem);
  return 1;
}

// The architectures this library was compiled for (set by CMake).
__attribute__((visibility("default"))) const char* vj_cuda_architectures() {
#ifdef VJ_CUDA_ARCHS
  return VJ_CUDA_ARCHS;
#else
  return "unknown";
#endif
}

// The backend table for `device`, after a self-test; null with err filled on failure. One
// device per process: opening a second index fails with a message saying so.
__attribute__((visibility("default"))) const vj::Backend* vj_cuda_open(int device, char* err, int errlen) {
  std::lock_guard<std::mutex> lock(g_open_mutex);
  if (g_context.device >= 0) {
    if (device == g_context.device) return &g_backend;
    std::snprintf(err, static_cast<size_t>(errlen),
                  "the CUDA backend is already open on device %d; one device per process", g_context.device);
    return nullptr;
  }
  int driver = 0, runtime = 0, devices = 0, ccM = 0, ccm = 0;
  int64_t mem = 0;
  char name[256];
  if (!vj_cuda_probe(device, &driver, &runtime, &devices, name, sizeof name, &ccM, &ccm, &mem, err, errlen))
    return nullptr;
  cudaError_t e = cudaSetDevice(device);
  if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&g_context.stream, cudaStreamNonBlocking);
  if (e != cudaSuccess) {
    std::snprintf(err, static_cast<size_t>(errlen), "could not start CUDA on device %d (%s): %s", device, name,
                  cudaGetErrorString(e));
    return nullptr;
  }
  g_backend = vj::cuda::make_backend(&g_context);
  if (!vj::cuda::self_test(g_backend, err, errlen)) {
    g_backend.clear_error();
    return nullptr;
  }
  g_context.device = device;
  return &g_backend;
}

}  // extern "C"
