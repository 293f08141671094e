#pragma once
#include <napi.h>

namespace vj {
namespace napi {

// info(): what this binary is and what it found on this machine (used by `varjepa doctor`)
Napi::Value build_info(Napi::Env env);
// setThreads(n): resize the shared thread pool; returns the new size
Napi::Value set_threads_js(const Napi::CallbackInfo& info);

}  // namespace napi
}  // namespace vj
