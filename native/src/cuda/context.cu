// The CUDA backend's context and entry points: device selection, the stream, the memory
// functions of the Backend table (cudaMalloc taken once per arena and reused), the sticky error,
// a self-test, and the C functions the addon finds with dlsym (vj_cuda_open, vj_cuda_probe).
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
namespace {

cudaStream_t g_stream = nullptr;
void* g_scratch = nullptr;
int64_t g_scratch_bytes = 0;
char g_error[512] = {0};
bool g_has_error = false;

}  // namespace

cudaStream_t stream() { return g_stream; }

void set_error_text(const char* what) {
  if (g_has_error) return;
  std::snprintf(g_error, sizeof g_error, "%s", what);
  g_has_error = true;
}

void set_error(const char* what, cudaError_t e) {
  if (g_has_error) return;
  std::snprintf(g_error, sizeof g_error, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
  g_has_error = true;
}

void check_launch(const char* op) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) set_error(op, e);
}

void* scratch(int64_t bytes) {
  if (bytes <= g_scratch_bytes) return g_scratch;
  if (g_scratch) {
    cudaStreamSynchronize(g_stream);
    cudaFree(g_scratch);
    g_scratch = nullptr;
    g_scratch_bytes = 0;
  }
  const int64_t want = bytes < (1 << 20) ? (1 << 20) : bytes + bytes / 4;
  cudaError_t e = cudaMalloc(&g_scratch, static_cast<size_t>(want));
  if (e != cudaSuccess) {
    set_error("cudaMalloc of the scratch block", e);
    g_scratch = nullptr;
    return nullptr;
  }
  g_scratch_bytes = want;
  return g_scratch;
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
  cudaStreamSynchronize(g_stream);
  cudaFree(p);
}
static void mem_set(void* dst, int value, int64_t bytes) {
  if (bytes <= 0) return;
  cudaError_t e = cudaMemsetAsync(dst, value, static_cast<size_t>(bytes), g_stream);
  if (e != cudaSuccess) set_error("cudaMemsetAsync", e);
}
// host buffers are pageable: these copies are synchronous with respect to the host
static void copy_to_device(void* dst, const void* src, int64_t bytes) {
  if (bytes <= 0) return;
  cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, g_stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(g_stream);
  if (e != cudaSuccess) set_error("copy host -> device", e);
}
static void copy_to_host(void* dst, const void* src, int64_t bytes) {
  if (bytes <= 0) return;
  cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToHost, g_stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(g_stream);
  if (e != cudaSuccess) set_error("copy device -> host", e);
}
static void copy_on_device(void* dst, const void* src, int64_t bytes) {
  if (bytes <= 0 || dst == src) return;
  cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice, g_stream);
  if (e != cudaSuccess) set_error("copy device -> device", e);
}
static void synchronize() {
  cudaError_t e = cudaStreamSynchronize(g_stream);
  if (e != cudaSuccess) set_error("cudaStreamSynchronize", e);
}
static const char* last_error() { return g_has_error ? g_error : nullptr; }
static void clear_error() {
  g_has_error = false;
  g_error[0] = 0;
}

static Backend make_backend() {
  Backend t{};
  t.name = "cuda";
  // linear.cu
  t.linear_forward = linear_forward;
  t.linear_backward = linear_backward;
  // norm.cu
  t.layernorm_forward = layernorm_forward;
  t.layernorm_backward = layernorm_backward;
  // activation.cu
  t.relu_forward = relu_forward;
  t.relu_backward = relu_backward;
  t.gelu_forward = gelu_forward;
  t.gelu_backward = gelu_backward;
  t.add_forward = add_forward;
  t.add_backward = add_backward;
  t.dropout_forward = dropout_forward;
  t.dropout_backward = dropout_backward;
  // attention.cu
  t.attention_forward = attention_forward;
  t.attention_backward = attention_backward;
  t.cross_attention_forward = cross_attention_forward;
  t.cross_attention_backward = cross_attention_backward;
  // index.cu
  t.index_select_forward = index_select_forward;
  t.index_select_backward = index_select_backward;
  t.tokenizer_forward = tokenizer_forward;
  t.tokenizer_backward = tokenizer_backward;
  // gaussian.cu
  t.clamp_forward = clamp_forward;
  t.clamp_backward = clamp_backward;
  t.reparam_forward = reparam_forward;
  t.reparam_backward = reparam_backward;
  t.kl_std_forward = kl_std_forward;
  t.kl_std_backward = kl_std_backward;
  t.kl_gauss_forward = kl_gauss_forward;
  t.kl_gauss_backward = kl_gauss_backward;
  t.gauss_nll_forward = gauss_nll_forward;
  t.gauss_nll_backward = gauss_nll_backward;
  // loss.cu
  t.softmax_ce_forward = softmax_ce_forward;
  t.softmax_ce_backward = softmax_ce_backward;
  t.mse_forward = mse_forward;
  t.mse_backward = mse_backward;
  // optim.cu
  t.adamw_update = adamw_update;
  t.sum_squares = sum_squares;
  t.scale_inplace = scale_inplace;
  t.ema_update = ema_update;
  // glue (model port)
  t.fill_forward = fill_forward;
  t.scale_forward = scale_forward;
  t.scale_backward = scale_backward;
  t.concat_rows_forward = concat_rows_forward;
  t.concat_rows_backward = concat_rows_backward;
  t.predictor_input_forward = predictor_input_forward;
  t.predictor_input_backward = predictor_input_backward;
  // linear_fused.cu (issue 4 round 2, CPU performance: the fused linear ops as plain chains)
  t.linear_relu_forward = linear_relu_forward;
  t.linear_residual_forward = linear_residual_forward;
  t.relu_linear_backward = relu_linear_backward;
  // memory
  t.mem_alloc = mem_alloc;
  t.mem_free = mem_free;
  t.mem_set = mem_set;
  t.copy_to_device = copy_to_device;
  t.copy_to_host = copy_to_host;
  t.copy_on_device = copy_on_device;
  t.synchronize = synchronize;
  t.last_error = last_error;
  t.clear_error = clear_error;
  t.on_device = true;
  return t;
}

// A tiny end-to-end check run before the backend is handed out: upload, one linear forward,
// one Philox uniform fill, read back, compare with values computed here on the host.
static bool self_test(const Backend& b, char* err, int errlen) {
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
    std::snprintf(err, static_cast<size_t>(errlen), "self-test allocation failed: %s", g_error);
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
  if (g_has_error) {
    std::snprintf(err, static_cast<size_t>(errlen), "self-test failed: %s", g_error);
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
std::mutex g_open_mutex;
int g_open_device = -1;
vj::Backend g_backend;
}  // namespace

extern "C" {

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
  if (g_open_device >= 0) {
    if (device == g_open_device) return &g_backend;
    std::snprintf(err, static_cast<size_t>(errlen),
                  "the CUDA backend is already open on device %d; one device per process", g_open_device);
    return nullptr;
  }
  int driver = 0, runtime = 0, devices = 0, ccM = 0, ccm = 0;
  int64_t mem = 0;
  char name[256];
  if (!vj_cuda_probe(device, &driver, &runtime, &devices, name, sizeof name, &ccM, &ccm, &mem, err, errlen))
    return nullptr;
  cudaError_t e = cudaSetDevice(device);
  if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&vj::cuda::g_stream, cudaStreamNonBlocking);
  if (e != cudaSuccess) {
    std::snprintf(err, static_cast<size_t>(errlen), "could not start CUDA on device %d (%s): %s", device, name,
                  cudaGetErrorString(e));
    return nullptr;
  }
  g_backend = vj::cuda::make_backend();
  if (!vj::cuda::self_test(g_backend, err, errlen)) {
    vj::cuda::clear_error();
    return nullptr;
  }
  g_open_device = device;
  return &g_backend;
}

}  // extern "C"
