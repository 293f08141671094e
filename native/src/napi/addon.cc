// Module entry. State is per Node-API environment (an Addon instance per main thread or
// worker_thread); the only process-wide state is the shared thread pool and the immutable op
// table.
#include <napi.h>

#include "napi/args.h"
#include "napi/info.h"
#include "napi/model.h"
#include "napi/op_registry.h"
#include "napi/tensor_ops.h"
#include "napi/tjepa_model.h"  // T-JEPA baseline
#include "napi/mlp_probe.h"  // evaluation: the MLP probe

namespace vj {
namespace napi {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {
                             InstanceMethod("info", &Addon::Info),
                             InstanceMethod("setThreads", &Addon::SetThreads),
                             InstanceMethod("linear", &Addon::Linear),
                             InstanceMethod("callOp", &Addon::CallOp),
                             InstanceMethod("opNames", &Addon::OpNames),
                             InstanceValue("VarTJepaNative", define_vartjepa(env), napi_enumerable),
                             InstanceValue("TJepaNative", define_tjepa(env), napi_enumerable),  // T-JEPA baseline
                             InstanceValue("MlpProbeNative", define_mlp_probe(env), napi_enumerable),  // evaluation
                         });
  }

 private:
  Napi::Value Info(const Napi::CallbackInfo& info) { return build_info(info.Env()); }
  Napi::Value SetThreads(const Napi::CallbackInfo& info) { return set_threads_js(info); }
  Napi::Value Linear(const Napi::CallbackInfo& info) { return linear_js(info); }
  Napi::Value CallOp(const Napi::CallbackInfo& info) { return call_op(info); }
  Napi::Value OpNames(const Napi::CallbackInfo& info) { return op_names(info); }
};

}  // namespace napi
}  // namespace vj

using VarjepaAddon = vj::napi::Addon;
NODE_API_ADDON(VarjepaAddon)
