// The Node-API face of the T-JEPA baseline (MODEL.md section 10), built like VarTJepaNative
// (model.cc) from the pieces in model_common.h. The flat parameter layout seen from JavaScript is
// [trained parameters (context encoder, predictor) | target encoder]: exportParams,
// importParams, exportGrads (zeros over the target encoder, which gets no gradient) and the AdamW
// moments (zeros there too) all use it.
#include "napi/tjepa_model.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "engine/backend.h"
#include "model/tjepa.h"
#include "napi/args.h"
#include "napi/device.h"
#include "napi/model_common.h"

namespace vj {
namespace napi {
namespace {

class TJepaNative : public Napi::ObjectWrap<TJepaNative> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TJepaNative",
                       {
                           InstanceMethod("trainStep", &TJepaNative::TrainStep),
                           InstanceMethod("lossAndGrad", &TJepaNative::LossAndGrad),
                           InstanceMethod("embed", &TJepaNative::Embed),
                           InstanceMethod("paramTable", &TJepaNative::ParamTable),
                           InstanceMethod("exportParams", &TJepaNative::ExportParams),
                           InstanceMethod("importParams", &TJepaNative::ImportParams),
                           InstanceMethod("exportGrads", &TJepaNative::ExportGrads),
                           InstanceMethod("exportState", &TJepaNative::ExportState),
                           InstanceMethod("importState", &TJepaNative::ImportState),
                           InstanceMethod("stats", &TJepaNative::Stats),
                           InstanceMethod("dispose", &TJepaNative::Dispose),
                       });
  }

  explicit TJepaNative(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TJepaNative>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "Expected a config object for config");
      Napi::Object o = info[0].As<Napi::Object>();
      TJepaConfig c;
      static_cast<ModelConfig&>(c) = parse_config(o, false);
      c.nAux = get_int(o, "nAux", 0, 64);
      std::string isa = o.Get("isa").IsString() ? o.Get("isa").As<Napi::String>().Utf8Value() : "auto";
      std::string device = o.Get("device").IsString() ? o.Get("device").As<Napi::String>().Utf8Value() : "auto";
      const int device_index = o.Get("deviceIndex").IsUndefined() ? 0 : static_cast<int>(integer(o.Get("deviceIndex"), 0, 1023, "options.deviceIndex"));
      DeviceChoice choice = choose_device(device, device_index, isa, DeviceModel::TJepa);
      const Backend& be = *choice.backend;
      h_ = std::make_shared<Holder<TJepa>>();
      h_->model = std::make_unique<TJepa>(c, be);
      isa_ = be.name;
      device_ = choice.device;
      device_reason_ = choice.reason;
      return env.Undefined();
    });
  }

 private:
  TJepa& model(Napi::Env env) {
    if (!h_ || !h_->model || h_->dispose_pending) throw Napi::Error::New(env, "This TJepa model was disposed");
    if (h_->busy) throw Napi::Error::New(env, "This TJepa model is busy: await the previous call before starting another");
    return *h_->model;
  }
  int64_t flat_size(TJepa& m) const { return m.params().size() + m.target().size(); }

  // (x, rows, ctx, trg, ctxSize, trgSize, schedule { lr, momentum, noiseSeed } [, backward])
  Napi::Value run_step(const Napi::CallbackInfo& info, bool train, bool backward) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      TJepa& mdl = model(env);
      StepInput in = step_input(info, mdl.config());
      if (!info[6].IsObject()) throw Napi::TypeError::New(env, "Expected an object for schedule but received " + describe(info[6]));
      Napi::Object s = info[6].As<Napi::Object>();
      TJepaSchedule sc;
      sc.lr = schedule_num(s, "lr", 0, 10);
      sc.momentum = schedule_num(s, "momentum", 0, 1);
      sc.noiseSeed = static_cast<uint64_t>(integer(s.Get("noiseSeed"), 0, (int64_t(1) << 53) - 1, "schedule.noiseSeed"));
      auto out = std::make_shared<TJepaLoss>();
      TJepa* m = &mdl;
      Worker* w = new Worker(
          env, h_,
          [m, in, sc, out, train, backward]() {
            *out = train ? m->train_step(in.x, in.B, in.m, sc) : m->loss_and_grad(in.x, in.B, in.m, sc, backward);
          },
          [m, out](Napi::Env e, Worker&) -> Napi::Value {
            Napi::Object o = Napi::Object::New(e);
            o.Set("loss", out->loss);
            o.Set("gradNorm", out->gradNorm);
            o.Set("step", static_cast<double>(m->step()));
            return o;
          });
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

  // embed(x, rows, embeddings) -> Promise<undefined>: writes rows * D * d values into the caller's array
  Napi::Value Embed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      TJepa& mdl = model(env);
      const int D = mdl.config().D();
      int64_t rows = integer(info[1], 1, int64_t(1) << 31, "rows");
      const float* x = typed<float>(info[0], rows * D, "x");
      float* emb = typed<float>(info[2], rows * mdl.embed_dim(), "embeddings");
      check_table(env, mdl.config(), x, rows, "x");
      TJepa* m = &mdl;
      Worker* w = new Worker(
          env, h_, [m, x, rows, emb]() { m->embed(x, rows, emb); },
          [](Napi::Env e, Worker&) -> Napi::Value { return e.Undefined(); });
      w->keep(info[0]);
      w->keep(info[2]);
      Napi::Promise p = w->promise();
      w->Queue();
      return p;
    });
  }

  Napi::Value ParamTable(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      TJepa& mdl = model(env);
      Napi::Array arr = Napi::Array::New(env);
      append_param_table(env, arr, mdl.params(), 0);
      append_param_table(env, arr, mdl.target(), mdl.params().size());
      return arr;
    });
  }

  // [a (na) | b (nb)] as one Float32Array; b null means zeros
  // [a (na) | b (nb), or zeros when b is null], copied out of the arenas (any backend's memory)
  static Napi::Float32Array concat(Napi::Env env, const Arena& a, int64_t na, const Arena* b, int64_t nb) {
    Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(na + nb));
    a.read(out.Data(), 0, na);
    if (b) b->read(out.Data() + na, 0, nb);
    else std::memset(out.Data() + na, 0, static_cast<size_t>(nb) * sizeof(float));
    return out;
  }

  Napi::Value ExportParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      TJepa& m = model(env);
      return concat(env, m.params().values, m.params().size(), &m.target().values, m.target().size());
    });
  }
  Napi::Value ExportGrads(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      TJepa& m = model(env);
      return concat(env, m.params().grads, m.params().size(), nullptr, m.target().size());
    });
  }
  Napi::Value ImportParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      TJepa& m = model(env);
      const int64_t n = flat_size(m), np = m.params().size();
      const float* src = typed<float>(info[0], n, "params");
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(src[i]))
          throw Napi::RangeError::New(env, "Expected finite values in params but received " + std::to_string(src[i]) + " at index " +
                                               std::to_string(i));
      m.params().values.write(src, 0, np);
      m.target().values.write(src + np, 0, n - np);
      return env.Undefined();
    });
  }
  // optimiser state for resuming: { m, v, step } in the flat layout
  Napi::Value ExportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      TJepa& mdl = model(env);
      const int64_t np = mdl.params().size(), nt = mdl.target().size();
      Napi::Object o = Napi::Object::New(env);
      o.Set("m", concat(env, mdl.params().m, np, nullptr, nt));
      o.Set("v", concat(env, mdl.params().v, np, nullptr, nt));
      o.Set("step", static_cast<double>(mdl.step()));
      return o;
    });
  }
  Napi::Value ImportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      TJepa& mdl = model(env);
      const int64_t n = flat_size(mdl), np = mdl.params().size();
      const float* m = typed<float>(info[0], n, "state.m");
      const float* v = typed<float>(info[1], n, "state.v");
      int64_t step = integer(info[2], 0, int64_t(1) << 40, "state.step");
      mdl.params().m.write(m, 0, np);
      mdl.params().v.write(v, 0, np);
      mdl.set_step(step);
      return env.Undefined();
    });
  }
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      if (!h_ || !h_->model) throw Napi::Error::New(env, "This TJepa model was disposed");
      TJepa& m = *h_->model;
      Napi::Object o = Napi::Object::New(env);
      o.Set("paramCount", static_cast<double>(flat_size(m)));
      o.Set("trainedCount", static_cast<double>(m.params().size()));
      o.Set("contextCount", static_cast<double>(m.context_size()));
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
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (h_) {
      if (h_->busy) h_->dispose_pending = true;
      else h_->model.reset();
    }
    return info.Env().Undefined();
  }

  std::shared_ptr<Holder<TJepa>> h_;
  std::string device_, device_reason_;
  std::string isa_;
};

}  // namespace

Napi::Function define_tjepa(Napi::Env env) { return TJepaNative::Define(env); }

}  // namespace napi
}  // namespace vj
