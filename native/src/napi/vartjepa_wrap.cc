// The Var-T-JEPA kind of the Node-API model object (napi/model_wrap.h): its config and schedule,
// its five loss terms, its embedding with uncertainty (and context views), and its own calls,
// generate and lastNoise.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "model/vartjepa.h"
#include "napi/model_wrap.h"
#include "napi/models.h"

namespace vj {
namespace napi {
namespace {

struct VarTJepaKind {
  using Model = VarTJepa;
  using Schedule = StepSchedule;
  using Loss = LossTerms;
  using Wrap = ModelWrap<VarTJepaKind>;
  static constexpr const char* name = "VarTJepa";

  static std::unique_ptr<Model> make(Napi::Object config, const Backend& be) {
    return std::make_unique<VarTJepa>(parse_vartjepa_config(config), be);
  }
  static Schedule schedule(const Napi::Value& v) { return parse_vartjepa_schedule(v); }
  static Napi::Object loss(Napi::Env env, const Loss& L) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("rec", L.rec);
    o.Set("gen", L.gen);
    o.Set("klSx", L.klSx);
    o.Set("klZ", L.klZ);
    o.Set("klSy", L.klSy);
    o.Set("total", L.total);
    o.Set("gradNorm", L.gradNorm);
    return o;
  }

  // embed({ x, rows }, out, options) -> Promise<undefined>. out: { embeddings (rows x D*d),
  // uncertainty (rows), uncertaintyP90 (rows), and optionally surprise (rows, needs views),
  // featureUncertainty (rows x D), contextUncertainty, auxUncertainty (rows), featureSurprise
  // (rows x D, needs views) }, the caller's arrays, written in place so that batch after batch
  // allocates nothing; options: { views, viewFraction, viewSeed, rowOffset }.
  static Napi::Value embed(Wrap& w, const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    VarTJepa& mdl = w.model(env);
    const int64_t D = mdl.config().D();
    Batch b = read_batch(info[0], mdl.config(), 1, int64_t(1) << 31, "batch");
    const int64_t rows = b.rows;
    Napi::Object o = object_arg(info[1], "out");
    EmbedViews views = parse_embed_options(info[2]);
    EmbedOutput out{float_field(o, "embeddings", rows * mdl.embed_dim(), "out", false), float_field(o, "uncertainty", rows, "out", false),
                    float_field(o, "uncertaintyP90", rows, "out", false)};
    out.surprise = float_field(o, "surprise", rows, "out", true);
    out.feature_uncertainty = float_field(o, "featureUncertainty", rows * D, "out", true);
    out.context_uncertainty = float_field(o, "contextUncertainty", rows, "out", true);
    out.aux_uncertainty = float_field(o, "auxUncertainty", rows, "out", true);
    out.feature_surprise = float_field(o, "featureSurprise", rows * D, "out", true);
    if ((out.surprise || out.feature_surprise) && views.views == 0)
      throw Napi::RangeError::New(env, "Expected options.views > 0 with out.surprise or out.featureSurprise but received 0");
    VarTJepa* m = &mdl;
    const float* x = b.x;
    return w.queue(env, [m, x, rows, out, views]() { m->embed(x, rows, out, views); }, &Wrap::undefined, {b.x_value, info[1]});
  }

  // generate({ x, rows }, observed, { draws, seed }) -> Promise<{ values, probs }>
  static Napi::Value generate(Wrap& w, const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    VarTJepa& mdl = w.model(env);
    const ModelConfig& c = mdl.config();
    const int D = c.D();
    Napi::Object bo = object_arg(info[0], "batch");
    const int64_t rows = integer(bo.Get("rows"), 1, int64_t(1) << 31, "batch.rows");
    const float* x = typed<float>(bo.Get("x"), rows * D, "batch.x");
    const uint8_t* obs = typed<uint8_t>(info[1], rows * D, "observed");
    GenerateOptions g = parse_generate_options(info[2]);
    // only the observed cells must be valid
    for (int64_t r = 0; r < rows; ++r) {
      int seen = 0;
      for (int j = 0; j < D; ++j) {
        if (!obs[r * D + j]) continue;
        ++seen;
        float v = x[r * D + j];
        int card = c.cardinalities[static_cast<size_t>(j)];
        if (card > 0 ? !(v >= 0 && v < card && std::floor(v) == v) : !std::isfinite(v))
          throw Napi::RangeError::New(env, "Expected a valid observed value for batch.x at row " + std::to_string(r) + ", feature " +
                                               std::to_string(j) + " but received " + std::to_string(v));
      }
      if (!seen)
        throw Napi::RangeError::New(env, "Expected at least one observed feature per row in observed but row " + std::to_string(r) + " has none");
    }
    int sum_card = 0;
    for (int cc : c.cardinalities) sum_card += cc;
    Napi::Float32Array values = Napi::Float32Array::New(env, static_cast<size_t>(g.draws) * rows * D);
    Napi::Float32Array probs = Napi::Float32Array::New(env, static_cast<size_t>(g.draws) * rows * (sum_card > 0 ? sum_card : 1));
    float *vp = values.Data(), *pp = probs.Data();
    VarTJepa* m = &mdl;
    return w.queue(
        env, [m, x, obs, rows, g, vp, pp]() { m->generate(x, obs, rows, g.draws, g.seed, vp, pp); },
        [](Napi::Env e, Worker& wk) -> Napi::Value {
          Napi::Object r = Napi::Object::New(e);
          r.Set("values", wk.kept(2));
          r.Set("probs", wk.kept(3));
          return r;
        },
        {bo.Get("x"), info[1], values, probs});
  }

  // lastNoise() -> { epsSx, epsZ, epsSw }: the reparameterisation noise of the last training
  // forward pass, for tests
  static Napi::Value last_noise(Wrap& w, const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    VarTJepa& m = w.model(env);
    std::vector<float> sx, zz, sw;
    m.last_noise(&sx, &zz, &sw);
    Napi::Object o = Napi::Object::New(env);
    o.Set("epsSx", copy_out(env, sx.data(), static_cast<int64_t>(sx.size())));
    o.Set("epsZ", copy_out(env, zz.data(), static_cast<int64_t>(zz.size())));
    o.Set("epsSw", copy_out(env, sw.data(), static_cast<int64_t>(sw.size())));
    return o;
  }

  static void methods(std::vector<Wrap::Property>& list) {
    list.push_back(Wrap::InstanceMethod("generate", &Wrap::template Call<&VarTJepaKind::generate>));
    list.push_back(Wrap::InstanceMethod("lastNoise", &Wrap::template Call<&VarTJepaKind::last_noise>));
  }
};

}  // namespace

Napi::Function define_vartjepa(Napi::Env env) { return VarTJepaKind::Wrap::Define(env); }

}  // namespace napi
}  // namespace vj
