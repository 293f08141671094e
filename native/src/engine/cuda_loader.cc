// Finds and loads the CUDA backend library at run time, so the addon itself never links CUDA
// and runs on machines without it. The library (varjepa_cuda.so) sits beside the addon's .node
// file (build/Release or prebuilds/<platform>/); VARJEPA_CUDA_LIBRARY names another path. Every
// failure names its cause: no library, a library of another backend version, no driver, no
// device, out of memory, failed self-test.
#include "engine/cuda_loader.h"

#include <dlfcn.h>

#include <cstdio>
#include <mutex>
#include <string>

#include "engine/error.h"

namespace vj {
namespace {

using OpenFn = const Backend* (*)(int, char*, int);
using ProbeFn = int (*)(int, int*, int*, int*, char*, int, int*, int*, int64_t*, char*, int);
using ArchFn = const char* (*)();
using VersionFn = uint64_t (*)();
using SizeFn = uint32_t (*)();

struct Library {
  bool tried = false;
  void* handle = nullptr;
  std::string path, error;
  OpenFn open = nullptr;
  ProbeFn probe = nullptr;
  ArchFn archs = nullptr;
};

std::mutex g_mutex;
Library g_lib;

std::string addon_dir() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&addon_dir), &info) && info.dli_fname) {
    std::string p = info.dli_fname;
    const size_t slash = p.rfind('/');
    return slash == std::string::npos ? std::string(".") : p.substr(0, slash);
  }
  return ".";
}

// loads the library once; g_lib.error says why not
Library& library() {
  if (g_lib.tried) return g_lib;
  g_lib.tried = true;
  const char* env = std::getenv("VARJEPA_CUDA_LIBRARY");
  g_lib.path = (env && *env) ? std::string(env) : addon_dir() + "/varjepa_cuda.so";
  g_lib.handle = dlopen(g_lib.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!g_lib.handle) {
    const char* why = dlerror();
    g_lib.error = "no CUDA library: " + g_lib.path + " could not be loaded (" + (why ? why : "unknown") +
                  "); this build has no CUDA backend (rebuild with the CUDA toolkit installed: npm run compile)";
    return g_lib;
  }
  g_lib.open = reinterpret_cast<OpenFn>(dlsym(g_lib.handle, "vj_cuda_open"));
  g_lib.probe = reinterpret_cast<ProbeFn>(dlsym(g_lib.handle, "vj_cuda_probe"));
  g_lib.archs = reinterpret_cast<ArchFn>(dlsym(g_lib.handle, "vj_cuda_architectures"));
  auto version = reinterpret_cast<VersionFn>(dlsym(g_lib.handle, "vj_cuda_backend_version"));
  auto size = reinterpret_cast<SizeFn>(dlsym(g_lib.handle, "vj_cuda_backend_size"));
  if (!g_lib.open || !g_lib.probe || !g_lib.archs || !version || !size) {
    g_lib.error = "no CUDA library: " + g_lib.path + " lacks the vj_cuda_* entry points (a mismatched build?)";
    g_lib.open = nullptr;
    return g_lib;
  }
  // the Backend table crosses this boundary: refuse a library built from other sources
  const uint64_t v = version();
  const uint32_t n = size();
  if (v != kBackendVersion || n != sizeof(Backend)) {
    g_lib.error = "CUDA library of another version: " + g_lib.path + " was built for backend version " + backend_version_text(v, n) +
                  " but this addon has backend version " + backend_version_text(kBackendVersion, sizeof(Backend)) +
                  "; rebuild both from the same sources (npm run compile)";
    g_lib.open = nullptr;
  }
  return g_lib;
}

}  // namespace

std::string backend_version_text(uint64_t version, uint64_t table_bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016llx (%llu-byte table)", static_cast<unsigned long long>(version),
                static_cast<unsigned long long>(table_bytes));
  return buf;
}

CudaProbe cuda_probe(int device_index) {
  std::lock_guard<std::mutex> lock(g_mutex);
  CudaProbe p;
  Library& lib = library();
  p.library = lib.path;
  if (!lib.open) {
    p.reason = lib.error;
    return p;
  }
  p.library_loaded = true;
  p.architectures = lib.archs();
  char name[256], err[512];
  int ok = lib.probe(device_index, &p.driver, &p.runtime, &p.devices, name, sizeof name, &p.cc_major, &p.cc_minor,
                     &p.memory, err, sizeof err);
  if (!ok) {
    p.reason = err;
    return p;
  }
  p.available = true;
  p.device_name = name;
  return p;
}

const Backend& cuda_backend(int device_index) {
  std::lock_guard<std::mutex> lock(g_mutex);
  Library& lib = library();
  if (!lib.open) throw Error("device 'cuda' is not available: " + lib.error);
  char err[512] = {0};
  const Backend* b = lib.open(device_index, err, sizeof err);
  if (!b) throw Error(std::string("device 'cuda' is not available: ") + err);
  return *b;
}

}  // namespace vj
