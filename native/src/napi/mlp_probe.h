#pragma once
#include <napi.h>

namespace vj {
namespace napi {

// class MlpProbeNative: the downstream MLP probe (lib/eval/mlp-probe.ts wraps it)
Napi::Function define_mlp_probe(Napi::Env env);

}  // namespace napi
}  // namespace vj
