#pragma once
#include <napi.h>

namespace vj {
namespace napi {

// class VarTJepaNative: the Var-T-JEPA model object (lib/model wraps it)
Napi::Function define_vartjepa(Napi::Env env);

}  // namespace napi
}  // namespace vj
