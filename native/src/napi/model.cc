// The Node-API face of the Var-T-JEPA model. Long work (training steps, embedding) runs on a
// libuv worker thread and returns a Promise; inputs are validated here on the JavaScript thread
// first, so the worker never sees bad indices. One call at a time per model.
#include "napi/model.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "napi/device.h"
#include "model/vartjepa.h"
#include "napi/args.h"

namespace vj {
namespace napi {
namespace {

// ---- config ----
int get_int(Napi::Object o, const char* k, int lo, int hi) {
  return static_cast<int>(integer(o.Get(k), lo, hi, std::string("config.") + k));
}
float get_num(Napi::Object o, const char* k, double lo, double hi) {
  double v = finite(o.Get(k), std::string("config.") + k);
  if (v < lo || v > hi)
    throw Napi::RangeError::New(o.Env(), "Expected a number between " + std::to_string(lo) + " and " + std::to_string(hi) +
                                             " for config." + k + " but received " + describe(o.Get(k)));
  return static_cast<float>(v);
}

ModelConfig parse_config(Napi::Object o) {
  ModelConfig c;
  size_t n = 0;
  const int32_t* cards = typed<int32_t>(o.Get("cardinalities"), -1, "config.cardinalities", &n);
  if (n < 2) throw Napi::RangeError::New(o.Env(), "Expected at least 2 features in config.cardinalities but received " + std::to_string(n));
  for (size_t j = 0; j < n; ++j) {
    if (cards[j] < 0 || cards[j] == 1 || cards[j] > 1000000)
      throw Napi::RangeError::New(o.Env(), "Expected 0 (numeric) or a category count between 2 and 1000000 for config.cardinalities[" +
                                               std::to_string(j) + "] but received " + std::to_string(cards[j]));
    c.cardinalities.push_back(cards[j]);
  }
  c.d = get_int(o, "d", 1, 4096);
  c.layers = get_int(o, "layers", 0, 64);
  c.heads = get_int(o, "heads", 1, 64);
  c.ff = get_int(o, "ff", 1, 65536);
  c.dropout = get_num(o, "dropout", 0, 0.99);
  c.dp = get_int(o, "dp", 1, 4096);
  c.layersP = get_int(o, "layersP", 0, 64);
  c.headsP = get_int(o, "headsP", 1, 64);
  c.ffp = get_int(o, "ffp", 1, 65536);
  c.dropoutP = get_num(o, "dropoutP", 0, 0.99);
  c.pool = get_int(o, "pool", 1, 256);
  c.masks = get_int(o, "masks", 1, 64);
  c.ctxMin = get_num(o, "ctxMin", 0, 1);
  c.ctxMax = get_num(o, "ctxMax", 0, 1);
  c.trgMin = get_num(o, "trgMin", 0, 1);
  c.trgMax = get_num(o, "trgMax", 0, 1);
  c.logvarMin = get_num(o, "logvarMin", -100, 0);
  c.logvarMax = get_num(o, "logvarMax", 0, 100);
  c.posBase = get_num(o, "posBase", 1, 1e9);
  c.predPosBase = get_num(o, "predPosBase", 1, 1e9);
  c.maxBatch = get_int(o, "maxBatch", 1, 1 << 20);
  c.seed = static_cast<uint64_t>(integer(o.Get("seed"), 0, (int64_t(1) << 53) - 1, "config.seed"));
  c.beta1 = get_num(o, "beta1", 0, 0.999999);
  c.beta2 = get_num(o, "beta2", 0, 0.999999);
  c.eps = get_num(o, "eps", 1e-30, 1);
  c.weightDecay = get_num(o, "weightDecay", 0, 10);
  c.clipNorm = get_num(o, "clipNorm", 0, 1e9);
  if (c.d % c.heads != 0)
    throw Napi::RangeError::New(o.Env(), "config.d (" + std::to_string(c.d) + ") must be divisible by config.heads (" + std::to_string(c.heads) + ")");
  if (c.dp % c.headsP != 0)
    throw Napi::RangeError::New(o.Env(), "config.dp (" + std::to_string(c.dp) + ") must be divisible by config.headsP (" + std::to_string(c.headsP) + ")");
  return c;
}

// rows x D table: categorical codes must be integers in [0, card), numeric values finite
void check_table(Napi::Env env, const ModelConfig& c, const float* x, int64_t rows, const char* what) {
  const int D = c.D();
  for (int64_t r = 0; r < rows; ++r)
    for (int j = 0; j < D; ++j) {
      float v = x[r * D + j];
      int card = c.cardinalities[static_cast<size_t>(j)];
      if (card > 0) {
        if (!(v >= 0 && v < card && std::floor(v) == v))
          throw Napi::RangeError::New(env, std::string("Expected a category code in [0, ") + std::to_string(card) + ") for " + what +
                                               " at row " + std::to_string(r) + ", feature " + std::to_string(j) +
                                               " but received " + std::to_string(v));
      } else if (!std::isfinite(v)) {
        throw Napi::RangeError::New(env, std::string("Expected a finite value for ") + what + " at row " + std::to_string(r) +
                                             ", feature " + std::to_string(j) + " but received " + std::to_string(v));
      }
    }
}

struct Holder {
  std::unique_ptr<VarTJepa> model;
  bool busy = false;
  bool dispose_pending = false;
};

class Worker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Result = std::function<Napi::Value(Napi::Env, Worker&)>;
  Worker(Napi::Env env, std::shared_ptr<Holder> h, Work work, Result result)
      : Napi::AsyncWorker(env, "varjepa"), deferred_(Napi::Promise::Deferred::New(env)), h_(std::move(h)),
        work_(std::move(work)), result_(std::move(result)) {
    h_->busy = true;
  }
  // holds a typed array (or other object) alive until the work is done; returns its slot
  size_t keep(Napi::Value v) {
    refs_.push_back(v.IsObject() ? Napi::Persistent(v) : Napi::Reference<Napi::Value>());
    return refs_.size() - 1;
  }
  // a kept value, valid again in OnOK (napi_values do not outlive the call that made them)
  Napi::Value kept(size_t i) { return refs_[i].Value(); }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_();
    } catch (const vj::Error& e) {
      kind_ = e.kind;
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      kind_ = ErrorKind::Range;
      SetError("varjepa: out of memory");
    } catch (const std::exception& e) {
      SetError(std::string("varjepa internal error: ") + e.what());
    }
  }
  void OnOK() override {
    finish();
    Napi::Env env = Env();
    try {
      deferred_.Resolve(result_(env, *this));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    finish();
    Napi::Env env = Env();
    std::string msg = e.Message();
    Napi::Error err = kind_ == ErrorKind::Range ? Napi::RangeError::New(env, msg)
                      : kind_ == ErrorKind::Type ? Napi::TypeError::New(env, msg)
                                                  : Napi::Error::New(env, msg);
    deferred_.Reject(err.Value());
  }

 private:
  void finish() {
    h_->busy = false;
    if (h_->dispose_pending) h_->model.reset();
  }
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Holder> h_;
  Work work_;
  Result result_;
  std::vector<Napi::Reference<Napi::Value>> refs_;
  ErrorKind kind_ = ErrorKind::Generic;
};

Napi::Object loss_object(Napi::Env env, const LossTerms& L, int64_t step) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rec", L.rec);
  o.Set("gen", L.gen);
  o.Set("klSx", L.klSx);
  o.Set("klZ", L.klZ);
  o.Set("klSy", L.klSy);
  o.Set("total", L.total);
  o.Set("gradNorm", L.gradNorm);
  o.Set("step", static_cast<double>(step));
  return o;
}

class VarTJepaNative : public Napi::ObjectWrap<VarTJepaNative> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "VarTJepaNative",
                       {
                           InstanceMethod("trainStep", &VarTJepaNative::TrainStep),
                           InstanceMethod("lossAndGrad", &VarTJepaNative::LossAndGrad),
                           InstanceMethod("embed", &VarTJepaNative::Embed),
                           InstanceMethod("generate", &VarTJepaNative::Generate),
                           InstanceMethod("paramTable", &VarTJepaNative::ParamTable),
                           InstanceMethod("exportParams", &VarTJepaNative::ExportParams),
                           InstanceMethod("importParams", &VarTJepaNative::ImportParams),
                           InstanceMethod("exportGrads", &VarTJepaNative::ExportGrads),
                           InstanceMethod("exportState", &VarTJepaNative::ExportState),
                           InstanceMethod("importState", &VarTJepaNative::ImportState),
                           InstanceMethod("stats", &VarTJepaNative::Stats),
                           InstanceMethod("lastNoise", &VarTJepaNative::LastNoise),
                           InstanceMethod("dispose", &VarTJepaNative::Dispose),
                       });
  }

  explicit VarTJepaNative(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VarTJepaNative>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "Expected a config object for config");
      Napi::Object o = info[0].As<Napi::Object>();
      ModelConfig c = parse_config(o);
      std::string isa = o.Get("isa").IsString() ? o.Get("isa").As<Napi::String>().Utf8Value() : "auto";
      std::string device = o.Get("device").IsString() ? o.Get("device").As<Napi::String>().Utf8Value() : "auto";
      const int device_index = o.Get("deviceIndex").IsUndefined() ? 0 : static_cast<int>(integer(o.Get("deviceIndex"), 0, 1023, "options.deviceIndex"));
      DeviceChoice choice = choose_device(device, device_index, isa);
      const Backend& be = *choice.backend;
      h_ = std::make_shared<Holder>();
      h_->model = std::make_unique<VarTJepa>(c, be);
      isa_ = be.name;
      device_ = choice.device;
      device_reason_ = choice.reason;
      return env.Undefined();
    });
  }

 private:
  VarTJepa& model(Napi::Env env) {
    if (!h_ || !h_->model || h_->dispose_pending) throw Napi::Error::New(env, "This VarTJepa model was disposed");
    if (h_->busy) throw Napi::Error::New(env, "This VarTJepa model is busy: await the previous call before starting another");
    return *h_->model;
  }

  struct StepArgs {
    const float* x;
    int B;
    StepMasks m;
    StepSchedule s;
  };
  // (x, rows, ctx, trg, ctxSize, trgSize, schedule)
  StepArgs step_args(const Napi::CallbackInfo& info, VarTJepa& mdl) {
    Napi::Env env = info.Env();
    const ModelConfig& c = mdl.config();
    const int D = c.D();
    StepArgs a;
    a.B = static_cast<int>(integer(info[1], 1, c.maxBatch, "rows"));
    a.x = typed<float>(info[0], static_cast<int64_t>(a.B) * D, "x");
    a.m.Mc = static_cast<int>(integer(info[4], 1, c.max_ctx(), "masks.ctxSize"));
    a.m.Mt = static_cast<int>(integer(info[5], 1, c.max_trg(), "masks.trgSize"));
    if (a.m.Mc + a.m.Mt > D)
      throw Napi::RangeError::New(env, "masks.ctxSize + masks.trgSize must be at most the feature count " + std::to_string(D));
    a.m.ctx = typed<int32_t>(info[2], static_cast<int64_t>(a.B) * a.m.Mc, "masks.ctx");
    a.m.trg = typed<int32_t>(info[3], static_cast<int64_t>(c.masks) * a.B * a.m.Mt, "masks.trg");
    check_table(env, c, a.x, a.B, "x");
    std::vector<uint8_t> in_ctx(static_cast<size_t>(D));
    for (int b = 0; b < a.B; ++b) {
      std::fill(in_ctx.begin(), in_ctx.end(), 0);
      for (int t = 0; t < a.m.Mc; ++t) {
        int j = a.m.ctx[b * a.m.Mc + t];
        if (j < 0 || j >= D || in_ctx[static_cast<size_t>(j)])
          throw Napi::RangeError::New(env, "Expected distinct feature indices in [0, " + std::to_string(D) + ") in masks.ctx but received " +
                                               std::to_string(j) + " at row " + std::to_string(b));
        in_ctx[static_cast<size_t>(j)] = 1;
      }
      for (int k = 0; k < c.masks; ++k)
        for (int u = 0; u < a.m.Mt; ++u) {
          int j = a.m.trg[(static_cast<int64_t>(k) * a.B + b) * a.m.Mt + u];
          if (j < 0 || j >= D || in_ctx[static_cast<size_t>(j)])
            throw Napi::RangeError::New(env, "Expected feature indices in [0, " + std::to_string(D) +
                                                 ") outside the row's context in masks.trg but received " + std::to_string(j) +
                                                 " at mask " + std::to_string(k) + ", row " + std::to_string(b));
        }
    }
    if (!info[6].IsObject()) throw Napi::TypeError::New(env, "Expected an object for schedule but received " + describe(info[6]));
    Napi::Object s = info[6].As<Napi::Object>();
    auto num = [&](const char* k, double lo, double hi) {
      double v = finite(s.Get(k), std::string("schedule.") + k);
      if (v < lo || v > hi)
        throw Napi::RangeError::New(env, std::string("Expected a number between ") + std::to_string(lo) + " and " + std::to_string(hi) +
                                             " for schedule." + k + " but received " + describe(s.Get(k)));
      return static_cast<float>(v);
    };
    a.s.lr = num("lr", 0, 10);
    a.s.aRec = num("aRec", 0, 1e6);
    a.s.aGen = num("aGen", 0, 1e6);
    a.s.aSx = num("aSx", 0, 1e6);
    a.s.aZ = num("aZ", 0, 1e6);
    a.s.aSy = num("aSy", 0, 1e6);
    a.s.noiseSeed = static_cast<uint64_t>(integer(s.Get("noiseSeed"), 0, (int64_t(1) << 53) - 1, "schedule.noiseSeed"));
    return a;
  }

  Napi::Value run_step(const Napi::CallbackInfo& info, bool train, bool backward) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& mdl = model(env);
      StepArgs a = step_args(info, mdl);
      auto out = std::make_shared<LossTerms>();
      VarTJepa* m = &mdl;
      Worker* w = new Worker(
          env, h_,
          [m, a, out, train, backward]() {
            *out = train ? m->train_step(a.x, a.B, a.m, a.s) : m->loss_and_grad(a.x, a.B, a.m, a.s, backward);
          },
          [m, out](Napi::Env e, Worker&) -> Napi::Value { return loss_object(e, *out, m->step()); });
      for (int i = 0; i < 4; ++i) w->keep(info[static_cast<size_t>(i)]);
      Napi::Promise p = w->promise();
      w->Queue();
      return p;
    });
  }

  Napi::Value TrainStep(const Napi::CallbackInfo& info) { return run_step(info, true, true); }
  Napi::Value LossAndGrad(const Napi::CallbackInfo& info) {
    bool backward = info.Length() > 7 && info[7].IsBoolean() && info[7].As<Napi::Boolean>().Value();
    return run_step(info, false, backward);
  }

  // embed(x, rows, embeddings, uncertainty, uncertaintyP90) -> Promise<undefined>: writes into the
  // caller's arrays (rows * D * d, rows, rows), so batch after batch allocates nothing
  Napi::Value Embed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& mdl = model(env);
      const int D = mdl.config().D();
      int64_t rows = integer(info[1], 1, int64_t(1) << 31, "rows");
      const float* x = typed<float>(info[0], rows * D, "x");
      float* emb = typed<float>(info[2], rows * mdl.embed_dim(), "embeddings");
      float* unc = typed<float>(info[3], rows, "uncertainty");
      float* p90 = typed<float>(info[4], rows, "uncertaintyP90");
      check_table(env, mdl.config(), x, rows, "x");
      EmbedOutput out{emb, unc, p90};
      VarTJepa* m = &mdl;
      Worker* w = new Worker(
          env, h_, [m, x, rows, out]() { m->embed(x, rows, out); },
          [](Napi::Env e, Worker&) -> Napi::Value { return e.Undefined(); });
      for (int i : {0, 2, 3, 4}) w->keep(info[static_cast<size_t>(i)]);
      Napi::Promise p = w->promise();
      w->Queue();
      return p;
    });
  }

  // generate(x, observed, rows, draws, seed) -> Promise<{ values, probs }>
  Napi::Value Generate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& mdl = model(env);
      const ModelConfig& c = mdl.config();
      const int D = c.D();
      int64_t rows = integer(info[2], 1, int64_t(1) << 31, "rows");
      const float* x = typed<float>(info[0], rows * D, "x");
      const uint8_t* obs = typed<uint8_t>(info[1], rows * D, "observed");
      int draws = static_cast<int>(integer(info[3], 1, 100000, "draws"));
      uint64_t seed = static_cast<uint64_t>(integer(info[4], 0, (int64_t(1) << 53) - 1, "seed"));
      // only the observed cells must be valid
      for (int64_t r = 0; r < rows; ++r) {
        int seen = 0;
        for (int j = 0; j < D; ++j) {
          if (!obs[r * D + j]) continue;
          ++seen;
          float v = x[r * D + j];
          int card = c.cardinalities[static_cast<size_t>(j)];
          if (card > 0 ? !(v >= 0 && v < card && std::floor(v) == v) : !std::isfinite(v))
            throw Napi::RangeError::New(env, "Expected a valid observed value for x at row " + std::to_string(r) + ", feature " +
                                                 std::to_string(j) + " but received " + std::to_string(v));
        }
        if (!seen)
          throw Napi::RangeError::New(env, "Expected at least one observed feature per row in observed but row " + std::to_string(r) + " has none");
      }
      int sum_card = 0;
      for (int cc : c.cardinalities) sum_card += cc;
      Napi::Float32Array values = Napi::Float32Array::New(env, static_cast<size_t>(draws) * rows * D);
      Napi::Float32Array probs = Napi::Float32Array::New(env, static_cast<size_t>(draws) * rows * (sum_card > 0 ? sum_card : 1));
      float *vp = values.Data(), *pp = probs.Data();
      VarTJepa* m = &mdl;
      Worker* w = new Worker(
          env, h_, [m, x, obs, rows, draws, seed, vp, pp]() { m->generate(x, obs, rows, draws, seed, vp, pp); },
          [](Napi::Env e, Worker& wk) -> Napi::Value {
            Napi::Object o = Napi::Object::New(e);
            o.Set("values", wk.kept(2));
            o.Set("probs", wk.kept(3));
            return o;
          });
      w->keep(info[0]);
      w->keep(info[1]);
      w->keep(values);
      w->keep(probs);
      Napi::Promise p = w->promise();
      w->Queue();
      return p;
    });
  }

  Napi::Value ParamTable(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& mdl = model(env);
      const auto& views = mdl.params().values.views();
      Napi::Array arr = Napi::Array::New(env, views.size());
      for (size_t i = 0; i < views.size(); ++i) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", views[i].name);
        o.Set("offset", static_cast<double>(views[i].offset));
        o.Set("size", static_cast<double>(views[i].size));
        Napi::Array shape = Napi::Array::New(env, views[i].shape.size());
        for (size_t k = 0; k < views[i].shape.size(); ++k) shape.Set(static_cast<uint32_t>(k), views[i].shape[k]);
        o.Set("shape", shape);
        o.Set("decay", mdl.params().info[i].decay);
        arr.Set(static_cast<uint32_t>(i), o);
      }
      return arr;
    });
  }

  static Napi::Float32Array copy_out(Napi::Env env, const float* p, int64_t n) {
    Napi::Float32Array a = Napi::Float32Array::New(env, static_cast<size_t>(n));
    std::memcpy(a.Data(), p, static_cast<size_t>(n) * sizeof(float));
    return a;
  }

  Napi::Value ExportParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& m = model(env);
      return copy_out(env, m.params().values.data(), m.params().size());
    });
  }
  Napi::Value ExportGrads(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& m = model(env);
      return copy_out(env, m.params().grads.data(), m.params().size());
    });
  }
  Napi::Value ImportParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& m = model(env);
      const float* src = typed<float>(info[0], m.params().size(), "params");
      for (int64_t i = 0; i < m.params().size(); ++i)
        if (!std::isfinite(src[i]))
          throw Napi::RangeError::New(env, "Expected finite values in params but received " + std::to_string(src[i]) + " at index " +
                                               std::to_string(i));
      std::memcpy(m.params().values.data(), src, static_cast<size_t>(m.params().size()) * sizeof(float));
      return env.Undefined();
    });
  }
  // optimiser state for resuming: { m, v, step }
  Napi::Value ExportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& mdl = model(env);
      Napi::Object o = Napi::Object::New(env);
      o.Set("m", copy_out(env, mdl.params().m.data(), mdl.params().size()));
      o.Set("v", copy_out(env, mdl.params().v.data(), mdl.params().size()));
      o.Set("step", static_cast<double>(mdl.step()));
      return o;
    });
  }
  Napi::Value ImportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& mdl = model(env);
      const int64_t n = mdl.params().size();
      const float* m = typed<float>(info[0], n, "state.m");
      const float* v = typed<float>(info[1], n, "state.v");
      int64_t step = integer(info[2], 0, int64_t(1) << 40, "state.step");
      std::memcpy(mdl.params().m.data(), m, static_cast<size_t>(n) * sizeof(float));
      std::memcpy(mdl.params().v.data(), v, static_cast<size_t>(n) * sizeof(float));
      mdl.set_step(step);
      return env.Undefined();
    });
  }
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      if (!h_ || !h_->model) throw Napi::Error::New(env, "This VarTJepa model was disposed");
      VarTJepa& m = *h_->model;
      Napi::Object o = Napi::Object::New(env);
      o.Set("paramCount", static_cast<double>(m.params().size()));
      o.Set("activationBytes", static_cast<double>(m.activation_bytes()));
      o.Set("embedDim", m.embed_dim());
      o.Set("embedChunk", m.embed_chunk());
      o.Set("step", static_cast<double>(m.step()));
      o.Set("isa", isa_);
      o.Set("device", device_);
      o.Set("deviceReason", device_reason_);
      o.Set("maxCtx", m.config().max_ctx());
      o.Set("maxTrg", m.config().max_trg());
      return o;
    });
  }
  Napi::Value LastNoise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& m = model(env);
      std::vector<float> sx, zz, sw;
      m.last_noise(&sx, &zz, &sw);
      Napi::Object o = Napi::Object::New(env);
      o.Set("epsSx", copy_out(env, sx.data(), static_cast<int64_t>(sx.size())));
      o.Set("epsZ", copy_out(env, zz.data(), static_cast<int64_t>(zz.size())));
      o.Set("epsSw", copy_out(env, sw.data(), static_cast<int64_t>(sw.size())));
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

  std::shared_ptr<Holder> h_;
  std::string isa_;
  std::string device_, device_reason_;
};

}  // namespace

Napi::Function define_vartjepa(Napi::Env env) { return VarTJepaNative::Define(env); }

}  // namespace napi
}  // namespace vj
