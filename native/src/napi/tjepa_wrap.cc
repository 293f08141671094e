// The T-JEPA kind of the Node-API model object (napi/model_wrap.h): its config (nAux) and
// schedule (EMA momentum), its latent MSE, and its embedding (the target encoder's tokens). Its
// flat parameter layout is [trained parameters (context encoder, predictor) | target encoder].
#include <memory>
#include <vector>

#include "model/tjepa.h"
#include "napi/model_wrap.h"
#include "napi/models.h"

namespace vj {
namespace napi {
namespace {

struct TJepaKind {
  using Model = TJepa;
  using Schedule = TJepaSchedule;
  using Loss = TJepaLoss;
  using Wrap = ModelWrap<TJepaKind>;
  static constexpr const char* name = "TJepa";

  static std::unique_ptr<Model> make(Napi::Object config, const Backend& be) {
    return std::make_unique<TJepa>(parse_tjepa_config(config), be);
  }
  static Schedule schedule(const Napi::Value& v) { return parse_tjepa_schedule(v); }
  static Napi::Object loss(Napi::Env env, const Loss& L) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("loss", L.loss);
    o.Set("gradNorm", L.gradNorm);
    return o;
  }

  // embed({ x, rows }, out { embeddings (rows x D*d) }) -> Promise<undefined>, written in place
  static Napi::Value embed(Wrap& w, const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TJepa& mdl = w.model(env);
    Batch b = read_batch(info[0], mdl.config(), 1, int64_t(1) << 31, "batch");
    const int64_t rows = b.rows;
    float* emb = float_field(object_arg(info[1], "out"), "embeddings", rows * mdl.embed_dim(), "out", false);
    TJepa* m = &mdl;
    const float* x = b.x;
    return w.queue(env, [m, x, rows, emb]() { m->embed(x, rows, emb); }, &Wrap::undefined, {b.x_value, info[1]});
  }

  static void methods(std::vector<Wrap::Property>&) {}
};

}  // namespace

Napi::Function define_tjepa(Napi::Env env) { return TJepaKind::Wrap::Define(env); }

}  // namespace napi
}  // namespace vj
