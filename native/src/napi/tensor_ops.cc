#include "napi/tensor_ops.h"

#include "engine/backend.h"
#include "napi/args.h"

namespace vj {
namespace napi {

Napi::Value linear_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    const int lim = 1 << 24;
    MatDims d{static_cast<int>(integer(info[3], 1, lim, "M")),
              static_cast<int>(integer(info[4], 1, lim, "K")),
              static_cast<int>(integer(info[5], 1, lim, "N"))};
    const float* inp = typed<float>(info[0], (int64_t)d.M * d.K, "inp");
    const float* w = typed<float>(info[1], (int64_t)d.N * d.K, "weight");
    const float* b = (info[2].IsNull() || info[2].IsUndefined()) ? nullptr : typed<float>(info[2], d.N, "bias");
    std::string isa = info.Length() > 6 && info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : "auto";
    const Backend& be = cpu_backend(isa.c_str());
    Napi::Float32Array out = Napi::Float32Array::New(env, (size_t)d.M * d.N);
    be.linear_forward(out.Data(), inp, w, b, d);
    return out;
  });
}

}  // namespace napi
}  // namespace vj
