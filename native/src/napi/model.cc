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
#include "napi/model_common.h"

namespace vj {
namespace napi {
namespace {

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
      ModelConfig c = parse_config(o, true);
      std::string isa = o.Get("isa").IsString() ? o.Get("isa").As<Napi::String>().Utf8Value() : "auto";
      std::string device = o.Get("device").IsString() ? o.Get("device").As<Napi::String>().Utf8Value() : "auto";
      const int device_index = o.Get("deviceIndex").IsUndefined() ? 0 : static_cast<int>(integer(o.Get("deviceIndex"), 0, 1023, "options.deviceIndex"));
      DeviceChoice choice = choose_device(device, device_index, isa);
      const Backend& be = *choice.backend;
      h_ = std::make_shared<Holder<VarTJepa>>();
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
    StepInput in = step_input(info, c);
    StepArgs a;
    a.x = in.x;
    a.B = in.B;
    a.m = in.m;
    if (!info[6].IsObject()) throw Napi::TypeError::New(env, "Expected an object for schedule but received " + describe(info[6]));
    Napi::Object s = info[6].As<Napi::Object>();
    auto num = [&](const char* k, double lo, double hi) { return schedule_num(s, k, lo, hi); };
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

  // embed(x, rows, embeddings, uncertainty, uncertaintyP90[, views, viewFraction, viewSeed,
  // rowOffset[, surprise[, featureUncertainty[, contextUncertainty[, auxUncertainty[,
  // featureSurprise]]]]]]) -> Promise<undefined>: writes into the caller's arrays (rows * D * d,
  // rows, rows, rows, rows * D, rows, rows, rows * D), so batch after batch allocates nothing.
  // views 0 (default) encodes the full row.
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
      EmbedViews views;
      if (info.Length() > 5 && !info[5].IsUndefined()) {
        views.views = static_cast<int>(integer(info[5], 0, 1000, "views"));
        views.fraction = static_cast<float>(finite(info[6], "viewFraction"));
        if (!(views.fraction > 0.f && views.fraction <= 1.f))
          throw Napi::RangeError::New(env, "Expected viewFraction in (0, 1] but received " + std::to_string(views.fraction));
        views.seed = static_cast<uint64_t>(integer(info[7], 0, (int64_t(1) << 53) - 1, "viewSeed"));
        views.row_offset = integer(info[8], 0, int64_t(1) << 53, "rowOffset");
        if (info.Length() > 9 && !info[9].IsUndefined()) out.surprise = typed<float>(info[9], rows, "surprise");
        if (info.Length() > 10 && !info[10].IsUndefined())
          out.feature_uncertainty = typed<float>(info[10], rows * D, "featureUncertainty");
        if (info.Length() > 11 && !info[11].IsUndefined())
          out.context_uncertainty = typed<float>(info[11], rows, "contextUncertainty");
        if (info.Length() > 12 && !info[12].IsUndefined()) out.aux_uncertainty = typed<float>(info[12], rows, "auxUncertainty");
        if (info.Length() > 13 && !info[13].IsUndefined())
          out.feature_surprise = typed<float>(info[13], rows * D, "featureSurprise");
      }
      VarTJepa* m = &mdl;
      Worker* w = new Worker(
          env, h_, [m, x, rows, out, views]() { m->embed(x, rows, out, views); },
          [](Napi::Env e, Worker&) -> Napi::Value { return e.Undefined(); });
      for (int i : {0, 2, 3, 4}) w->keep(info[static_cast<size_t>(i)]);
      if (out.surprise) w->keep(info[9]);
      if (out.feature_uncertainty) w->keep(info[10]);
      if (out.context_uncertainty) w->keep(info[11]);
      if (out.aux_uncertainty) w->keep(info[12]);
      if (out.feature_surprise) w->keep(info[13]);
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
      Napi::Array arr = Napi::Array::New(env);
      append_param_table(env, arr, mdl.params(), 0);
      return arr;
    });
  }

  Napi::Value ExportParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& m = model(env);
      return copy_out(env, m.params().values, m.params().size());
    });
  }
  Napi::Value ExportGrads(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& m = model(env);
      return copy_out(env, m.params().grads, m.params().size());
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
      m.params().values.write(src, 0, m.params().size());
      return env.Undefined();
    });
  }
  // optimiser state for resuming: { m, v, step }
  Napi::Value ExportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      VarTJepa& mdl = model(env);
      Napi::Object o = Napi::Object::New(env);
      o.Set("m", copy_out(env, mdl.params().m, mdl.params().size()));
      o.Set("v", copy_out(env, mdl.params().v, mdl.params().size()));
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
      mdl.params().m.write(m, 0, n);
      mdl.params().v.write(v, 0, n);
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

  std::shared_ptr<Holder<VarTJepa>> h_;
  std::string isa_;
  std::string device_, device_reason_;
};

}  // namespace

Napi::Function define_vartjepa(Napi::Env env) { return VarTJepaNative::Define(env); }

}  // namespace napi
}  // namespace vj
