// Module entry. State is per Node-API environment (an Addon instance per main thread or
// worker_thread); the only process-wide state is the shared thread pool and the immutable op
// table.
#include <napi.h>

#include "napi/args.h"
#include "napi/info.h"
#include "napi/mlp_probe.h"
#include "napi/model_common.h"
#include "napi/models.h"
#include "napi/op_registry.h"

namespace vj {
namespace napi {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
                             InstanceMethod("info", &Addon::Info),
                             InstanceMethod("setThreads", &Addon::SetThreads),
                             InstanceMethod("callOp", &Addon::CallOp),
                             InstanceMethod("opNames", &Addon::OpNames),
                             InstanceMethod("configFields", &Addon::ConfigFields),
                             InstanceValue("VarTJepaNative", define_vartjepa(env), napi_enumerable),
                             InstanceValue("TJepaNative", define_tjepa(env), napi_enumerable),
                             InstanceValue("MlpProbeNative", define_mlp_probe(env), napi_enumerable),
                         });
  }

 private:
  Napi::Value Info(const Napi::CallbackInfo& info) { return build_info(info.Env()); }
  Napi::Value SetThreads(const Napi::CallbackInfo& info) { return set_threads_js(info); }
  Napi::Value CallOp(const Napi::CallbackInfo& info) { return call_op(info); }
  Napi::Value OpNames(const Napi::CallbackInfo& info) { return op_names(info); }
  Napi::Value ConfigFields(const Napi::CallbackInfo& info) { return config_fields(info); }
};

}  // namespace napi
}  // namespace vj

using VarjepaAddon = vj::napi::Addon;
NODE_API_ADDON(VarjepaAddon)
