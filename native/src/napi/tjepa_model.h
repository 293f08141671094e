#pragma once
#include <napi.h>

namespace vj {
namespace napi {

// class TJepaNative: the T-JEPA baseline model object (lib/model/tjepa.ts wraps it)
Napi::Function define_tjepa(Napi::Env env);

}  // namespace napi
}  // namespace vj
