// Pieces of the Node-API model objects that VarTJepaNative and TJepaNative share: the async
// worker that runs model work off the event loop and settles a Promise, config and table
// validation, the mask checks, and parameter-table output.
#pragma once
#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/error.h"
#include "model/config.h"
#include "model/params.h"

namespace vj {
namespace napi {

// What a worker needs of a model holder: the busy flag (one call at a time) and a deferred
// dispose (a dispose during a call frees the model when the call ends).
struct HolderBase {
  bool busy = false;
  bool dispose_pending = false;
  virtual ~HolderBase() = default;
  virtual void release() = 0;
};
template <class M>
struct Holder : HolderBase {
  std::unique_ptr<M> model;
  void release() override { model.reset(); }
};

class Worker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Result = std::function<Napi::Value(Napi::Env, Worker&)>;
  Worker(Napi::Env env, std::shared_ptr<HolderBase> h, Work work, Result result);
  // holds a typed array (or other object) alive until the work is done; returns its slot
  size_t keep(Napi::Value v);
  // a kept value, valid again in OnOK (napi_values do not outlive the call that made them)
  Napi::Value kept(size_t i) { return refs_[i].Value(); }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  void finish();
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<HolderBase> h_;
  Work work_;
  Result result_;
  std::vector<Napi::Reference<Napi::Value>> refs_;
  ErrorKind kind_ = ErrorKind::Generic;
};

// config.<key> checked to [lo, hi]
int get_int(Napi::Object o, const char* k, int lo, int hi);
float get_num(Napi::Object o, const char* k, double lo, double hi);
// The shared model config; `variational` also reads the Var-T-JEPA-only fields (pool, logvar clamp).
ModelConfig parse_config(Napi::Object o, bool variational);
// rows x D table: categorical codes must be integers in [0, card), numeric values finite
void check_table(Napi::Env env, const ModelConfig& c, const float* x, int64_t rows, const char* what);
// (x, rows, ctx, trg, ctxSize, trgSize) at info[0..5]: checked lengths, distinct context indices,
// target indices outside the row's context
struct StepInput {
  const float* x;
  int B;
  StepMasks m;
};
StepInput step_input(const Napi::CallbackInfo& info, const ModelConfig& c);

// schedule.<key>, a finite number in [lo, hi]
float schedule_num(Napi::Object s, const char* k, double lo, double hi);

Napi::Float32Array copy_out(Napi::Env env, const float* p, int64_t n);
// the first n floats of an arena (in any backend's memory)
Napi::Float32Array copy_out(Napi::Env env, const Arena& a, int64_t n);
// appends one entry per tensor of ps to arr ({ name, offset, size, shape, decay }), offsets
// shifted by `base`
void append_param_table(Napi::Env env, Napi::Array arr, const ParamSet& ps, int64_t base);

}  // namespace napi
}  // namespace vj
