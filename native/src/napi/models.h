// The model classes the addon exports (napi/model_wrap.h, one per model kind): VarTJepaNative
// and TJepaNative, wrapped by lib/model/vartjepa.ts and lib/model/tjepa.ts.
#pragma once
#include <napi.h>

namespace vj {
namespace napi {

Napi::Function define_vartjepa(Napi::Env env);
Napi::Function define_tjepa(Napi::Env env);

}  // namespace napi
}  // namespace vj
