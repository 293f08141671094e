#pragma once
#include <napi.h>

namespace vj {
namespace napi {

// linear(inp: Float32Array (M*K), weight: Float32Array (N*K), bias: Float32Array (N) | null,
//        M, K, N, isa?) -> new Float32Array (M*N). Inputs are read in place (zero-copy).
Napi::Value linear_js(const Napi::CallbackInfo& info);

}  // namespace napi
}  // namespace vj
