// The T-JEPA kind of the Node-API model object (napi/model_wrap.h): its embedding (the target
// encoder's tokens). Its config (nAux), schedule (EMA momentum) and latent MSE are read and written
// in napi/model_common.cc; its flat parameter layout is [trained parameters (context encoder,
// predictor) | target encoder].
#include <memory>
#include <vector>

#include "model/tjepa.h"
#include "napi/model_wrap.h"
#include "napi/models.h"

namespace vj {
namespace napi {

template <>
const char* ModelWrap<TJepa>::kind() {
  return "TJepa";
}

// embed: the target encoder's tokens, nothing else
template <>
Napi::Value ModelWrap<TJepa>::embed_rest(TJepa& m, const Batch& b, Napi::Object, float* emb, const Napi::CallbackInfo& info) {
  TJepa* mp = &m;
  const float* x = b.x;
  const int64_t rows = b.rows;
  return queue(info.Env(), [mp, x, rows, emb]() { mp->embed(x, rows, emb); }, &ModelWrap::undefined, {b.x_value, info[1]});
}

template <>
void ModelWrap<TJepa>::own_methods(std::vector<Property>&) {}

Napi::Function define_tjepa(Napi::Env env) { return ModelWrap<TJepa>::Define(env); }

}  // namespace napi
}  // namespace vj
