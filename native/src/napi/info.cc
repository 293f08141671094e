#include "napi/info.h"

#include "engine/backend.h"
#include "engine/cpu_features.h"
#include "engine/cuda_loader.h"
#include "engine/threadpool.h"
#include "napi/args.h"
#include "napi/device.h"

#ifndef VJ_SOURCE_HASH
#define VJ_SOURCE_HASH "unknown"
#endif

namespace vj {
namespace napi {

Napi::Value build_info(Napi::Env env) {
  return guarded(env, [&]() -> Napi::Value {
    Napi::Object o = Napi::Object::New(env);
    o.Set("sourceHash", VJ_SOURCE_HASH);
    o.Set("napiVersionBuilt", NAPI_VERSION);
    o.Set("napiVersionRuntime", static_cast<double>(Napi::VersionManagement::GetNapiVersion(env)));
#if defined(__clang__)
    o.Set("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
    o.Set("compiler", "gcc " __VERSION__);
#endif
#ifdef NDEBUG
    o.Set("buildType", "release");
#else
    o.Set("buildType", "debug");
#endif
    const CpuFeatures& f = cpu_features();
    Napi::Object simd = Napi::Object::New(env);
    simd.Set("sse42", f.sse42);
    simd.Set("avx", f.avx);
    simd.Set("avx2", f.avx2);
    simd.Set("fma", f.fma);
    simd.Set("f16c", f.f16c);
    simd.Set("avx512f", f.avx512f);
    simd.Set("avx512bw", f.avx512bw);
    simd.Set("avx512dq", f.avx512dq);
    simd.Set("avx512vl", f.avx512vl);
    o.Set("simd", simd);
    Napi::Array isas = Napi::Array::New(env);
    uint32_t i = 0;
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512})
      if (isa_supported(isa)) isas.Set(i++, isa_name(isa));
    o.Set("isaAvailable", isas);
    const Backend& be = cpu_backend(nullptr);
    o.Set("isa", be.name);
    o.Set("opsProvided", backend_op_count(be));
    o.Set("opCount", kBackendOpCount);
    o.Set("backendVersion", backend_version_text(kBackendVersion, sizeof(Backend)));
    o.Set("threads", num_threads());
    o.Set("defaultThreads", default_threads());
    o.Set("cuda", cuda_report(env, 0));
    return o;
  });
}

Napi::Value set_threads_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    int n = static_cast<int>(integer(info[0], 1, 256, "threads"));
    set_threads(n);
    return Napi::Number::New(env, num_threads());
  });
}

}  // namespace napi
}  // namespace vj
