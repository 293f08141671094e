// Pieces of the Node-API model objects (napi/model_wrap.h) and the MLP probe: the async worker
// that runs native work off the event loop and settles a Promise, and the readers of the
// objects JavaScript passes in (configs, schedules, batches, masks), each field checked against
// model/config_fields.inc and every typed array for type and length, so a direct call of the
// addon with bad arguments is a TypeError or RangeError, never a crash.
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
#include "model/tjepa.h"
#include "model/vartjepa.h"
#include "napi/args.h"

namespace vj {
namespace napi {

// What a worker needs of a native object's holder: the busy flag (one call at a time) and a
// deferred dispose (a dispose during a call frees the object when the call ends).
struct HolderBase {
  bool busy = false;
  bool dispose_pending = false;
  virtual ~HolderBase() = default;
  virtual void release() = 0;
  // dispose(): frees the object now, or when the running call ends
  void dispose() {
    if (busy) dispose_pending = true;
    else release();
  }
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

// obj.<name> as an object (`what` names it in the error)
Napi::Object object_arg(const Napi::Value& v, const std::string& what);

// a number as the range messages print it
std::string num_text(double v);
// o.<name> checked against [lo, hi] (an integer when `integer_field`) into out; the ranges come
// from model/config_fields.inc
template <class T>
void read_field(Napi::Object o, const std::string& path, const char* name, bool integer_field, double lo, double hi, T& out) {
  Napi::Value v = o.Get(name);
  const std::string what = path + "." + name;
  if (integer_field) {
    out = static_cast<T>(integer(v, static_cast<int64_t>(lo), static_cast<int64_t>(hi), what));
    return;
  }
  const double d = finite(v, what);
  if (d < lo || d > hi)
    throw Napi::RangeError::New(o.Env(), "Expected a number between " + num_text(lo) + " and " + num_text(hi) + " for " + what +
                                             " but received " + describe(v));
  out = static_cast<T>(d);
}

// What differs between the model kinds at the boundary, overloaded on the model type (the
// pointer only selects the overload): the config (the shared fields of model/config_fields.inc,
// the kind's own, the cardinalities and the rules the engine relies on), the step's schedule,
// and the loss terms as JavaScript sees them.
ModelConfig parse_model_config(Napi::Object o, const VarTJepa*);
TJepaConfig parse_model_config(Napi::Object o, const TJepa*);
StepSchedule parse_schedule(const Napi::Value& v, const VarTJepa*);
TJepaSchedule parse_schedule(const Napi::Value& v, const TJepa*);
Napi::Object loss_object(Napi::Env env, const LossTerms& L);
Napi::Object loss_object(Napi::Env env, const TJepaLoss& L);
// Var-T-JEPA's embed options ({ views, viewFraction, viewSeed, rowOffset }) and generate options
struct GenerateOptions {
  int draws = 10;
  uint64_t seed = 0;
};
EmbedViews parse_embed_options(const Napi::Value& v);
GenerateOptions parse_generate_options(const Napi::Value& v);
// configFields(): { <group>: { <name>: ['int' | 'num', lo, hi] } } for lib/model/options.ts
Napi::Value config_fields(const Napi::CallbackInfo& info);

// A table passed as { x, rows }: rows in [min_rows, max_rows], x a Float32Array of rows x D.
// read_batch also checks every cell: categorical codes integers in [0, card), numeric values
// finite.
struct Batch {
  const float* x;
  int64_t rows;
  Napi::Value x_value;  // to keep alive while the work runs
};
Batch read_batch(const Napi::Value& v, const ModelConfig& c, int64_t min_rows, int64_t max_rows, const std::string& what);
// rows x D table: categorical codes must be integers in [0, card), numeric values finite
void check_table(Napi::Env env, const ModelConfig& c, const float* x, int64_t rows, const char* what);
// The masks of one step, { ctx, trg, ctxSize, trgSize } for B rows: checked lengths, distinct
// context indices, target indices outside the row's context.
struct MaskInput {
  StepMasks m;
  Napi::Value ctx_value, trg_value;  // to keep alive while the work runs
};
MaskInput read_masks(const Napi::Value& v, const ModelConfig& c, int B);

// obj.<key> as a Float32Array of exactly n floats, or null when absent and optional
float* float_field(Napi::Object o, const char* key, int64_t n, const std::string& path, bool optional);

Napi::Float32Array copy_out(Napi::Env env, const float* p, int64_t n);
// appends one entry per tensor of ps to arr ({ name, offset, size, shape, decay }), offsets
// shifted by `base`
void append_param_table(Napi::Env env, Napi::Array arr, const ParamSet& ps, int64_t base);

}  // namespace napi
}  // namespace vj
