// The Var-T-JEPA kind of the Node-API model object (napi/model_wrap.h): its embedding with
// uncertainty (and context views), and its own calls, generate and lastNoise. Its config,
// schedule and five loss terms are read and written in napi/model_common.cc.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "model/vartjepa.h"
#include "napi/model_wrap.h"
#include "napi/models.h"

namespace vj {
namespace napi {

using Wrap = ModelWrap<VarTJepa>;

template <>
const char* Wrap::kind() {
  return "VarTJepa";
}

// embed: besides the embeddings (the posterior means), out holds uncertainty (rows),
// uncertaintyP90 (rows), and optionally surprise (rows, needs views), featureUncertainty
// (rows x D), contextUncertainty, auxUncertainty (rows), featureSurprise (rows x D, needs
// views), contextSummary (rows x pool*d: the pooled context sbar_x); options (info[2]): { views, viewFraction, viewSeed, rowOffset }.
template <>
Napi::Value Wrap::embed_rest(VarTJepa& m, const Batch& b, Napi::Object o, float* emb, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t D = m.config().D(), rows = b.rows;
  EmbedViews views = parse_embed_options(info[2]);
  EmbedOutput out{emb, float_field(o, "uncertainty", rows, "out", false), float_field(o, "uncertaintyP90", rows, "out", false)};
  out.surprise = float_field(o, "surprise", rows, "out", true);
  out.feature_uncertainty = float_field(o, "featureUncertainty", rows * D, "out", true);
  out.context_uncertainty = float_field(o, "contextUncertainty", rows, "out", true);
  out.aux_uncertainty = float_field(o, "auxUncertainty", rows, "out", true);
  out.feature_surprise = float_field(o, "featureSurprise", rows * D, "out", true);
  out.prior_uncertainty = float_field(o, "priorUncertainty", rows, "out", true);
  out.context_summary = float_field(o, "contextSummary", rows * m.config().pool * m.config().d, "out", true);
  if ((out.surprise || out.feature_surprise || out.prior_uncertainty) && views.views == 0)
    throw Napi::RangeError::New(env, "Expected options.views > 0 with out.surprise, out.featureSurprise or out.priorUncertainty but received 0");
  VarTJepa* mp = &m;
  const float* x = b.x;
  return queue(env, [mp, x, rows, out, views]() { mp->embed(x, rows, out, views); }, &Wrap::undefined, {b.x_value, info[1]});
}

namespace {

// generate({ x, rows }, observed, { draws, seed }) -> Promise<{ values, probs }>
Napi::Value generate(Wrap& w, const Napi::CallbackInfo& info) {
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
Napi::Value last_noise(Wrap& w, const Napi::CallbackInfo& info) {
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

}  // namespace

template <>
void Wrap::own_methods(std::vector<Property>& list) {
  list.push_back(Wrap::InstanceMethod("generate", &Wrap::template Call<&generate>));
  list.push_back(Wrap::InstanceMethod("lastNoise", &Wrap::template Call<&last_noise>));
}

Napi::Function define_vartjepa(Napi::Env env) { return Wrap::Define(env); }

}  // namespace napi
}  // namespace vj
