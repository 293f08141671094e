// One Node-API model object for both model kinds: ModelWrap<Model> holds a native model, runs its
// long calls on a libuv worker thread (one call at a time, returning a Promise), and gives
// JavaScript the calls every model has: trainStep, lossAndGrad, embed, the flat parameter layout
// (paramTable, exportParams, importParams, exportGrads), the optimiser state (exportState,
// importState), stats and dispose. What differs between kinds is supplied in two places: the
// config, schedule and loss object by overloads on the model type (napi/model_common.h), and
// three members each kind specialises in its own file (napi/vartjepa_wrap.cc, napi/tjepa_wrap.cc):
//   kind()          the class name JavaScript sees, without "Native"
//   embed_rest()    embed's outputs besides the embeddings, and the queued call
//   own_methods()   the kind's own calls (generate, ...)
// Arguments are small objects whose field names are the TypeScript names: trainStep({ x, rows },
// { ctx, trg, ctxSize, trgSize }, schedule). Values were validated in TypeScript; here every
// typed array is checked for type and length and every index for range, since the addon can be
// called directly.
//
// The flat layout is the model's parameter sets one after another (Model::parameter_sets()): the
// first is trained; the others (T-JEPA's target encoder) have zero gradients and no optimiser
// state in exportGrads and exportState.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.h"
#include "napi/args.h"
#include "napi/device.h"
#include "napi/model_common.h"

namespace vj {
namespace napi {

template <class Model>
class ModelWrap : public Napi::ObjectWrap<ModelWrap<Model>> {
 public:
  using Property = typename Napi::ObjectWrap<ModelWrap<Model>>::PropertyDescriptor;
  using Schedule = decltype(parse_schedule(std::declval<Napi::Value>(), static_cast<const Model*>(nullptr)));
  using Loss = decltype(std::declval<Model&>().train_step(nullptr, 0, std::declval<const StepMasks&>(), std::declval<const Schedule&>()));

  static Napi::Function Define(Napi::Env env) {
    std::vector<Property> methods = {
        ModelWrap::InstanceMethod("trainStep", &ModelWrap::TrainStep),
        ModelWrap::InstanceMethod("lossAndGrad", &ModelWrap::LossAndGrad),
        ModelWrap::InstanceMethod("embed", &ModelWrap::Embed),
        ModelWrap::InstanceMethod("paramTable", &ModelWrap::ParamTable),
        ModelWrap::InstanceMethod("exportParams", &ModelWrap::ExportParams),
        ModelWrap::InstanceMethod("importParams", &ModelWrap::ImportParams),
        ModelWrap::InstanceMethod("exportGrads", &ModelWrap::ExportGrads),
        ModelWrap::InstanceMethod("exportState", &ModelWrap::ExportState),
        ModelWrap::InstanceMethod("importState", &ModelWrap::ImportState),
        ModelWrap::InstanceMethod("stats", &ModelWrap::Stats),
        ModelWrap::InstanceMethod("dispose", &ModelWrap::Dispose),
    };
    own_methods(methods);
    return ModelWrap::DefineClass(env, (std::string(kind()) + "Native").c_str(), methods);
  }

  // ---- specialised per kind ---------------------------------------------------------------------
  static const char* kind();
  // embed's outputs besides `embeddings` (in `out`, the caller's arrays) and options (info[2]);
  // queues the call
  Napi::Value embed_rest(Model& m, const Batch& b, Napi::Object out, float* embeddings, const Napi::CallbackInfo& info);
  static void own_methods(std::vector<Property>& list);

  // new <Kind>Native(config): config holds the validated options, the cardinalities and the
  // device choice (device, deviceIndex, isa)
  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap<Model>>(info) {
    Napi::Env env = info.Env();
    guarded(env, [&]() -> Napi::Value {
      Napi::Object o = object_arg(info[0], "config");
      auto text = [&](const char* k) { return o.Get(k).IsString() ? o.Get(k).As<Napi::String>().Utf8Value() : std::string("auto"); };
      const int device_index = static_cast<int>(integer(o.Get("deviceIndex"), 0, 1023, "config.deviceIndex"));
      DeviceChoice choice = choose_device(text("device"), device_index, text("isa"));
      h_ = std::make_shared<Holder<Model>>();
      h_->model = std::make_unique<Model>(parse_model_config(o, static_cast<const Model*>(nullptr)), *choice.backend);
      isa_ = choice.backend->name;
      device_ = choice.device;
      device_reason_ = choice.reason;
      return env.Undefined();
    });
  }

  // ---- for the Kind's calls --------------------------------------------------------------------
  // the model, or an error when it was disposed or is busy with another call
  Model& model(Napi::Env env) {
    if (!h_ || !h_->model || h_->dispose_pending) throw Napi::Error::New(env, std::string("This ") + kind() + " model was disposed");
    if (h_->busy) throw Napi::Error::New(env, std::string("This ") + kind() + " model is busy: await the previous call before starting another");
    return *h_->model;
  }
  // queues `work` on a worker thread, keeping `keep` alive until it is done; `result` makes the
  // Promise's value on the JavaScript thread
  Napi::Promise queue(Napi::Env env, Worker::Work work, Worker::Result result, std::initializer_list<Napi::Value> keep) {
    Worker* w = new Worker(env, h_, std::move(work), std::move(result));
    for (const Napi::Value& v : keep) w->keep(v);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  }
  static Napi::Value undefined(Napi::Env env, Worker&) { return env.Undefined(); }

  template <Napi::Value (*F)(ModelWrap&, const Napi::CallbackInfo&)>
  Napi::Value Call(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value { return F(*this, info); });
  }

 private:
  // trainStep(batch, masks, schedule) / lossAndGrad(batch, masks, schedule, backward)
  Napi::Value run_step(const Napi::CallbackInfo& info, bool train) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      Model& mdl = model(env);
      const ModelConfig& c = mdl.config();
      Batch b = read_batch(info[0], c, 1, c.batchSize, "batch");
      MaskInput mk = read_masks(info[1], c, static_cast<int>(b.rows));
      const Schedule sched = parse_schedule(info[2], static_cast<const Model*>(nullptr));
      bool backward = train;
      if (!train && !info[3].IsUndefined()) {
        if (!info[3].IsBoolean()) throw Napi::TypeError::New(env, "Expected a boolean for backward but received " + describe(info[3]));
        backward = info[3].As<Napi::Boolean>().Value();
      }
      auto out = std::make_shared<Loss>();
      Model* m = &mdl;
      const int B = static_cast<int>(b.rows);
      const float* x = b.x;
      const StepMasks masks = mk.m;
      return queue(
          env,
          [m, x, B, masks, sched, out, train, backward]() {
            *out = train ? m->train_step(x, B, masks, sched) : m->loss_and_grad(x, B, masks, sched, backward);
          },
          [m, out](Napi::Env e, Worker&) -> Napi::Value {
            Napi::Object o = loss_object(e, *out);
            o.Set("step", static_cast<double>(m->step()));
            return o;
          },
          {b.x_value, mk.ctx_value, mk.trg_value});
    });
  }
  Napi::Value TrainStep(const Napi::CallbackInfo& info) { return run_step(info, true); }

  // embed({ x, rows }, out { embeddings (rows x D*d), ... }[, options]) -> Promise<undefined>: the
  // caller's arrays are written in place, so batch after batch allocates nothing
  Napi::Value Embed(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      Model& mdl = model(env);
      Batch b = read_batch(info[0], mdl.config(), 1, int64_t(1) << 31, "batch");
      Napi::Object out = object_arg(info[1], "out");
      float* embeddings = float_field(out, "embeddings", b.rows * mdl.embed_dim(), "out", false);
      return embed_rest(mdl, b, out, embeddings, info);
    });
  }
  Napi::Value LossAndGrad(const Napi::CallbackInfo& info) { return run_step(info, false); }

  // ---- the flat parameter layout ---------------------------------------------------------------
  static int64_t flat_size(Model& m) {
    int64_t n = 0;
    for (ParamSet* ps : m.parameter_sets()) n += ps->size();
    return n;
  }
  // [arena of the first set | the same arena of the others, or zeros where `trained_only`]
  static Napi::Float32Array flat(Napi::Env env, Model& m, Arena ParamSet::*arena, bool trained_only) {
    Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(flat_size(m)));
    float* dst = out.Data();
    bool first = true;
    for (ParamSet* ps : m.parameter_sets()) {
      if (first || !trained_only) (ps->*arena).read(dst, 0, ps->size());
      else std::memset(dst, 0, static_cast<size_t>(ps->size()) * sizeof(float));
      dst += ps->size();
      first = false;
    }
    return out;
  }

  Napi::Value ParamTable(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      Napi::Array arr = Napi::Array::New(env);
      int64_t base = 0;
      for (ParamSet* ps : model(env).parameter_sets()) {
        append_param_table(env, arr, *ps, base);
        base += ps->size();
      }
      return arr;
    });
  }
  Napi::Value ExportParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value { return flat(env, model(env), &ParamSet::values, false); });
  }
  Napi::Value ExportGrads(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value { return flat(env, model(env), &ParamSet::grads, true); });
  }
  // importParams(params): every value finite, then written set by set
  Napi::Value ImportParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      Model& m = model(env);
      const int64_t n = flat_size(m);
      const float* src = typed<float>(info[0], n, "params");
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(src[i]))
          throw Napi::RangeError::New(env, "Expected finite values in params but received " + std::to_string(src[i]) + " at index " +
                                               std::to_string(i));
      for (ParamSet* ps : m.parameter_sets()) {
        ps->values.write(src, 0, ps->size());
        src += ps->size();
      }
      return env.Undefined();
    });
  }
  // exportState() -> { m, v, step }: the AdamW moments in the flat layout
  Napi::Value ExportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      Model& mdl = model(env);
      Napi::Object o = Napi::Object::New(env);
      o.Set("m", flat(env, mdl, &ParamSet::m, true));
      o.Set("v", flat(env, mdl, &ParamSet::v, true));
      o.Set("step", static_cast<double>(mdl.step()));
      return o;
    });
  }
  // importState({ m, v, step }): the trained set's moments (the rest of the layout is ignored)
  Napi::Value ImportState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      Model& mdl = model(env);
      Napi::Object s = object_arg(info[0], "state");
      const int64_t n = flat_size(mdl);
      const float* m = float_field(s, "m", n, "state", false);
      const float* v = float_field(s, "v", n, "state", false);
      const int64_t step = integer(s.Get("step"), 0, int64_t(1) << 40, "state.step");
      ParamSet& trained = *mdl.parameter_sets()[0];
      trained.m.write(m, 0, trained.size());
      trained.v.write(v, 0, trained.size());
      mdl.set_step(step);
      return env.Undefined();
    });
  }
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      if (!h_ || !h_->model) throw Napi::Error::New(env, std::string("This ") + kind() + " model was disposed");
      Model& m = *h_->model;
      Napi::Object o = Napi::Object::New(env);
      o.Set("paramCount", static_cast<double>(flat_size(m)));
      o.Set("trainedCount", static_cast<double>(m.parameter_sets()[0]->size()));
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
    if (h_) h_->dispose();
    return info.Env().Undefined();
  }

  std::shared_ptr<Holder<Model>> h_;
  std::string isa_, device_, device_reason_;
};

}  // namespace napi
}  // namespace vj
