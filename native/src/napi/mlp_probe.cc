// The Node-API face of the MLP probe (native/src/eval/mlp_probe.h). fit and predictProba run on
// a libuv worker thread and return Promises; shapes and options are checked here on the
// JavaScript thread, values (finite inputs, labels in range) on the worker, so a bad call is a
// TypeError or RangeError naming the argument. One call at a time per probe.
#include "napi/mlp_probe.h"

#include <functional>
#include <memory>
#include <string>

#include "engine/backend.h"
#include "eval/mlp_probe.h"
#include "napi/args.h"
#include "napi/model_common.h"

namespace vj {
namespace napi {
namespace {

using ProbeHolder = Holder<MlpProbe>;  // the model objects' holder and Worker (napi/model_common.h)

float num_in(Napi::Object o, const char* k, double lo, double hi) {
  const double v = finite(o.Get(k), std::string("config.") + k);
  if (v < lo || v > hi)
    throw Napi::RangeError::New(o.Env(), "Expected a number between " + std::to_string(lo) + " and " + std::to_string(hi) +
                                             " for config." + k + " but received " + describe(o.Get(k)));
  return static_cast<float>(v);
}
int int_in(Napi::Object o, const char* k, int lo, int hi) {
  return static_cast<int>(integer(o.Get(k), lo, hi, std::string("config.") + k));
}

MlpProbeConfig parse_config(Napi::Object o) {
  MlpProbeConfig c;
  c.features = int_in(o, "features", 1, 1 << 28);
  c.classes = int_in(o, "classes", 2, 1000000);
  size_t n = 0;
  const int32_t* hidden = typed<int32_t>(o.Get("hidden"), -1, "config.hidden", &n);
  if (n > 16) throw Napi::RangeError::New(o.Env(), "Expected at most 16 hidden layers in config.hidden but received " + std::to_string(n));
  for (size_t l = 0; l < n; ++l) {
    if (hidden[l] < 1 || hidden[l] > 65536)
      throw Napi::RangeError::New(o.Env(), "Expected widths between 1 and 65536 in config.hidden but received " +
                                               std::to_string(hidden[l]) + " at index " + std::to_string(l));
    c.hidden.push_back(hidden[l]);
  }
  c.dropout = num_in(o, "dropout", 0, 0.99);
  c.lr = num_in(o, "lr", 0, 10);
  c.weightDecay = num_in(o, "weightDecay", 0, 10);
  c.beta1 = num_in(o, "beta1", 0, 0.999999);
  c.beta2 = num_in(o, "beta2", 0, 0.999999);
  c.eps = num_in(o, "eps", 1e-30, 1);
  c.batchSize = int_in(o, "batchSize", 1, 65536);
  Napi::Value st = o.Get("standardize");
  if (!st.IsBoolean()) throw Napi::TypeError::New(o.Env(), "Expected a boolean for config.standardize but received " + describe(st));
  c.standardize = st.As<Napi::Boolean>().Value();
  c.seed = static_cast<uint64_t>(integer(o.Get("seed"), 0, (int64_t(1) << 53) - 1, "config.seed"));
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

  // fit(x, y, rows, xVal, yVal, valRows, epochs, patience) -> Promise<report>; xVal and yVal
  // may be null when valRows is 0
  Napi::Value Fit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      MlpProbe& p = probe(env);
      const int F = p.config().features;
      MlpFitArgs a{};
      a.rows = integer(info[2], 1, int64_t(1) << 31, "rows");
      a.x = typed<float>(info[0], a.rows * F, "x");
      a.y = typed<int32_t>(info[1], a.rows, "y");
      a.valRows = integer(info[5], 0, int64_t(1) << 31, "valRows");
      if (a.valRows > 0) {
        a.xVal = typed<float>(info[3], a.valRows * F, "validation.x");
        a.yVal = typed<int32_t>(info[4], a.valRows, "validation.y");
      }
      a.epochs = static_cast<int>(integer(info[6], 1, 1000000, "epochs"));
      a.patience = static_cast<int>(integer(info[7], 0, 1000000, "patience"));
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
      for (size_t i : {0, 1, 3, 4}) w->keep(info[i]);
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
    if (h_) {
      if (h_->busy) h_->dispose_pending = true;
      else h_->model.reset();
    }
    return info.Env().Undefined();
  }

  std::shared_ptr<ProbeHolder> h_;
};

}  // namespace

Napi::Function define_mlp_probe(Napi::Env env) { return MlpProbeNative::Define(env); }

}  // namespace napi
}  // namespace vj
