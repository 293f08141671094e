// The Node-API face of the MLP probe (native/src/eval/mlp_probe.h). fit and predictProba run on
// a libuv worker thread and return Promises; shapes and options are checked here on the
// JavaScript thread, values (finite inputs, labels in range) on the worker, so a bad call is a
// TypeError or RangeError naming the argument. One call at a time per probe.
#include "napi/mlp_probe.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "eval/mlp_probe.h"
#include "napi/args.h"
#include "napi/model_common.h"

namespace vj {
namespace napi {
namespace {

using ProbeHolder = Holder<MlpProbe>;  // the model objects' holder and Worker (napi/model_common.h)

// A field of the probe and its range (model/config_fields.inc, VJ_PROBE).
struct Range {
  bool integer;
  double lo, hi;
};
Range probe_range(const std::string& name) {
#define VJ_PROBE(n, integer_field, lo, hi) \
  if (name == #n) return Range{integer_field != 0, lo, hi};
#include "model/config_fields.inc"
#undef VJ_PROBE
  throw Error("internal: the probe has no field " + name);
}
template <class T>
void read_probe(Napi::Object o, const std::string& path, const char* name, T& out) {
  const Range r = probe_range(name);
  read_field(o, path, name, r.integer, r.lo, r.hi, out);
}

MlpProbeConfig parse_config(Napi::Object o) {
  MlpProbeConfig c;
  c.features = static_cast<int>(integer(o.Get("features"), 1, 1 << 28, "config.features"));
  c.classes = static_cast<int>(integer(o.Get("classes"), 2, 1000000, "config.classes"));
  size_t n = 0;
  const int32_t* hidden = typed<int32_t>(o.Get("hidden"), -1, "config.hidden", &n);
  const Range layers = probe_range("hiddenLayers"), width = probe_range("hiddenWidth");
  if (static_cast<double>(n) > layers.hi)
    throw Napi::RangeError::New(o.Env(), "Expected at most " + num_text(layers.hi) + " hidden layers in config.hidden but received " + std::to_string(n));
  for (size_t l = 0; l < n; ++l) {
    if (hidden[l] < width.lo || hidden[l] > width.hi)
      throw Napi::RangeError::New(o.Env(), "Expected widths between " + num_text(width.lo) + " and " + num_text(width.hi) + " in config.hidden but received " +
                                               std::to_string(hidden[l]) + " at index " + std::to_string(l));
    c.hidden.push_back(hidden[l]);
  }
  read_probe(o, "config", "dropout", c.dropout);
  read_probe(o, "config", "lr", c.lr);
  read_probe(o, "config", "weightDecay", c.weightDecay);
  read_probe(o, "config", "beta1", c.beta1);
  read_probe(o, "config", "beta2", c.beta2);
  read_probe(o, "config", "eps", c.eps);
  read_probe(o, "config", "batchSize", c.batchSize);
  read_probe(o, "config", "seed", c.seed);
  Napi::Value st = o.Get("standardize");
  if (!st.IsBoolean()) throw Napi::TypeError::New(o.Env(), "Expected a boolean for config.standardize but received " + describe(st));
  c.standardize = st.As<Napi::Boolean>().Value();
  return c;
}

class MlpProbeNative : public Napi::ObjectWrap<MlpProbeNative> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MlpProbeNative",
                       {
                           InstanceMethod("fit", &MlpProbeNative::Fit),
                           InstanceMethod("predictProba", &MlpProbeNative::PredictProba),
                           InstanceMethod("abort", &MlpProbeNative::Abort),
                           InstanceMethod("exportParams", &MlpProbeNative::ExportParams),
                           InstanceMethod("exportState", &MlpProbeNative::ExportState),
                           InstanceMethod("importState", &MlpProbeNative::ImportState),
                           InstanceMethod("stats", &MlpProbeNative::Stats),
                           InstanceMethod("dispose", &MlpProbeNative::Dispose),
                       });
  }

  explicit MlpProbeNative(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MlpProbeNative>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "Expected a config object for config");
      Napi::Object o = info[0].As<Napi::Object>();
      MlpProbeConfig c = parse_config(o);
      std::string isa = o.Get("isa").IsString() ? o.Get("isa").As<Napi::String>().Utf8Value() : "auto";
      const Backend& be = cpu_backend(isa.c_str());
      h_ = std::make_shared<ProbeHolder>();
      h_->model = std::make_unique<MlpProbe>(c, be);
      return env.Undefined();
    });
  }

 private:
  MlpProbe& probe(Napi::Env env) {
    if (!h_ || !h_->model || h_->dispose_pending) throw Napi::Error::New(env, "This MlpProbe was disposed");
    if (h_->busy) throw Napi::Error::New(env, "This MlpProbe is busy: await the previous call before starting another");
    return *h_->model;
  }

  // fit({ x, y }, validation { x, y } | null, { epochs, patience }) -> Promise<report>: x (rows,
  // features), y (rows) class labels
  Napi::Value Fit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MlpProbe& p = probe(env);
      const int F = p.config().features;
      MlpFitArgs a{};
      std::vector<Napi::Value> arrays;  // kept alive while the fit runs
      auto rows_xy = [&](const Napi::Value& v, const std::string& what, const float** x, const int32_t** y) {
        Napi::Object o = object_arg(v, what);
        size_t n = 0;
        arrays.push_back(o.Get("x"));
        arrays.push_back(o.Get("y"));
        *y = typed<int32_t>(arrays.back(), -1, what + ".y", &n);
        if (n < 1) throw Napi::RangeError::New(env, "Expected at least one row in " + what + ".y but received none");
        *x = typed<float>(arrays[arrays.size() - 2], static_cast<int64_t>(n) * F, what + ".x");
        return static_cast<int64_t>(n);
      };
      a.rows = rows_xy(info[0], "data", &a.x, &a.y);
      if (!info[1].IsNull() && !info[1].IsUndefined()) a.valRows = rows_xy(info[1], "validation", &a.xVal, &a.yVal);
      Napi::Object opt = object_arg(info[2], "options");
      read_probe(opt, "options", "epochs", a.epochs);
      read_probe(opt, "options", "patience", a.patience);
      auto rep = std::make_shared<MlpFitReport>();
      MlpProbe* pp = &p;
      Worker* w = new Worker(
          env, h_, [pp, a, rep]() { *rep = pp->fit(a); },
          [rep](Napi::Env e, Worker&) -> Napi::Value {
            Napi::Object o = Napi::Object::New(e);
            o.Set("epochs", rep->epochs);
            o.Set("bestEpoch", rep->bestEpoch);
            o.Set("bestAccuracy", rep->bestAccuracy);
            o.Set("stoppedEarly", rep->stoppedEarly);
            o.Set("aborted", rep->aborted);
            Napi::Array loss = Napi::Array::New(e, rep->loss.size());
            for (size_t i = 0; i < rep->loss.size(); ++i) loss.Set(static_cast<uint32_t>(i), rep->loss[i]);
            Napi::Array acc = Napi::Array::New(e, rep->valAccuracy.size());
            for (size_t i = 0; i < rep->valAccuracy.size(); ++i) acc.Set(static_cast<uint32_t>(i), rep->valAccuracy[i]);
            o.Set("loss", loss);
            o.Set("validationAccuracy", acc);
            return o;
          });
      for (const Napi::Value& v : arrays) w->keep(v);
      Napi::Promise pr = w->promise();
      w->Queue();
      return pr;
    });
  }

  // predictProba(x, rows, out) -> Promise<undefined>; out (rows, classes) is written
  Napi::Value PredictProba(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MlpProbe& p = probe(env);
      const int64_t rows = integer(info[1], 1, int64_t(1) << 31, "rows");
      const float* x = typed<float>(info[0], rows * p.config().features, "x");
      float* out = typed<float>(info[2], rows * p.config().classes, "out");
      MlpProbe* pp = &p;
      Worker* w = new Worker(
          env, h_, [pp, x, rows, out]() { pp->predict_proba(x, rows, out); },
          [](Napi::Env e, Worker&) -> Napi::Value { return e.Undefined(); });
      w->keep(info[0]);
      w->keep(info[2]);
      Napi::Promise pr = w->promise();
      w->Queue();
      return pr;
    });
  }

  // asks a running fit to stop after its current step; a no-op otherwise
  Napi::Value Abort(const Napi::CallbackInfo& info) {
    if (h_ && h_->model) h_->model->abort();
    return info.Env().Undefined();
  }

  Napi::Value ExportParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MlpProbe& p = probe(env);
      Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(p.param_count()));
      std::copy(p.params(), p.params() + p.param_count(), out.Data());
      return out;
    });
  }

  // exportState() -> { params, mean, rstd }: what a saved probe needs besides its config
  Napi::Value ExportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MlpProbe& p = probe(env);
      const size_t F = static_cast<size_t>(p.config().features);
      auto copy = [&](const float* src, size_t n) {
        Napi::Float32Array a = Napi::Float32Array::New(env, n);
        std::copy(src, src + n, a.Data());
        return a;
      };
      Napi::Object o = Napi::Object::New(env);
      o.Set("params", copy(p.params(), static_cast<size_t>(p.param_count())));
      o.Set("mean", copy(p.input_mean(), F));
      o.Set("rstd", copy(p.input_rstd(), F));
      return o;
    });
  }

  // importState({ params, mean, rstd }): restores exportState's arrays (lengths checked)
  Napi::Value ImportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MlpProbe& p = probe(env);
      Napi::Object o = object_arg(info[0], "state");
      const int64_t F = p.config().features;
      const float* params = typed<float>(o.Get("params"), p.param_count(), "state.params");
      const float* mean = typed<float>(o.Get("mean"), F, "state.mean");
      const float* rstd = typed<float>(o.Get("rstd"), F, "state.rstd");
      p.import_state(params, p.param_count(), mean, rstd, F);
      return env.Undefined();
    });
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MlpProbe& p = probe(env);
      Napi::Object o = Napi::Object::New(env);
      o.Set("paramCount", static_cast<double>(p.param_count()));
      o.Set("isa", p.backend_name());
      return o;
    });
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (h_) h_->dispose();
    return info.Env().Undefined();
  }

  std::shared_ptr<ProbeHolder> h_;
};

}  // namespace

Napi::Function define_mlp_probe(Napi::Env env) { return MlpProbeNative::Define(env); }

}  // namespace napi
}  // namespace vj
