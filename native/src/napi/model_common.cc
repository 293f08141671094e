// Shared pieces of the Node-API native objects (see model_common.h).
#include "napi/model_common.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

#include "napi/args.h"

namespace vj {
namespace napi {

Worker::Worker(Napi::Env env, std::shared_ptr<HolderBase> h, Work work, Result result)
    : Napi::AsyncWorker(env, "varjepa"), deferred_(Napi::Promise::Deferred::New(env)), h_(std::move(h)),
      work_(std::move(work)), result_(std::move(result)) {
  h_->busy = true;
}

size_t Worker::keep(Napi::Value v) {
  refs_.push_back(v.IsObject() ? Napi::Persistent(v) : Napi::Reference<Napi::Value>());
  return refs_.size() - 1;
}

void Worker::Execute() {
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

void Worker::OnOK() {
  finish();
  Napi::Env env = Env();
  try {
    deferred_.Resolve(result_(env, *this));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

void Worker::OnError(const Napi::Error& e) {
  finish();
  Napi::Env env = Env();
  std::string msg = e.Message();
  Napi::Error err = kind_ == ErrorKind::Range ? Napi::RangeError::New(env, msg)
                    : kind_ == ErrorKind::Type ? Napi::TypeError::New(env, msg)
                                                : Napi::Error::New(env, msg);
  deferred_.Reject(err.Value());
}

void Worker::finish() {
  h_->busy = false;
  if (h_->dispose_pending) h_->release();
}

Napi::Object object_arg(const Napi::Value& v, const std::string& what) {
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray())
    throw Napi::TypeError::New(v.Env(), "Expected an object for " + what + " but received " + describe(v));
  return v.As<Napi::Object>();
}

// ---- configs and schedules: the fields of model/config_fields.inc ----------------------------

std::string num_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// The groups of model/config_fields.inc; read_group<G> reads group G's fields into dst (the
// branches of the other groups are discarded at compile time, so dst needs only G's fields).
enum class Group { shared, vartjepa, tjepa, vschedule, tschedule, embed, generate };
template <Group G, class Dst>
static void read_group(Napi::Object o, const std::string& path, Dst& dst) {
#define VJ_READ(group, name, integer_field, lo, hi) \
  if constexpr (G == Group::group) read_field(o, path, #name, integer_field, lo, hi, dst.name);
#define VJ_SHARED(...) VJ_READ(shared, __VA_ARGS__)
#define VJ_VARTJEPA(...) VJ_READ(vartjepa, __VA_ARGS__)
#define VJ_TJEPA(...) VJ_READ(tjepa, __VA_ARGS__)
#define VJ_VSCHEDULE(...) VJ_READ(vschedule, __VA_ARGS__)
#define VJ_TSCHEDULE(...) VJ_READ(tschedule, __VA_ARGS__)
#define VJ_EMBED(...) VJ_READ(embed, __VA_ARGS__)
#define VJ_GENERATE(...) VJ_READ(generate, __VA_ARGS__)
#include "model/config_fields.inc"
#undef VJ_SHARED
#undef VJ_VARTJEPA
#undef VJ_TJEPA
#undef VJ_VSCHEDULE
#undef VJ_TSCHEDULE
#undef VJ_EMBED
#undef VJ_GENERATE
#undef VJ_READ
}

// the fields both kinds have, the cardinalities and the head-size rules
static ModelConfig parse_config(Napi::Object o) {
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
  read_group<Group::shared>(o, "config", c);
  // the engine splits a width into heads of equal size
  if (c.d % c.heads != 0)
    throw Napi::RangeError::New(o.Env(), "config.d (" + std::to_string(c.d) + ") must be divisible by config.heads (" + std::to_string(c.heads) + ")");
  if (c.dP % c.headsP != 0)
    throw Napi::RangeError::New(o.Env(), "config.dP (" + std::to_string(c.dP) + ") must be divisible by config.headsP (" + std::to_string(c.headsP) + ")");
  return c;
}

ModelConfig parse_model_config(Napi::Object o, const VarTJepa*) {
  ModelConfig c = parse_config(o);
  read_group<Group::vartjepa>(o, "config", c);
  return c;
}

TJepaConfig parse_model_config(Napi::Object o, const TJepa*) {
  TJepaConfig c;
  static_cast<ModelConfig&>(c) = parse_config(o);
  read_group<Group::tjepa>(o, "config", c);
  return c;
}

StepSchedule parse_schedule(const Napi::Value& v, const VarTJepa*) {
  StepSchedule s;
  read_group<Group::vschedule>(object_arg(v, "schedule"), "schedule", s);
  return s;
}

TJepaSchedule parse_schedule(const Napi::Value& v, const TJepa*) {
  TJepaSchedule s;
  read_group<Group::tschedule>(object_arg(v, "schedule"), "schedule", s);
  return s;
}

Napi::Object loss_object(Napi::Env env, const LossTerms& L) {
  Napi::Object o = Napi::Object::New(env);
  for (auto [name, v] : {std::pair<const char*, double>{"rec", L.rec}, {"gen", L.gen}, {"klSx", L.klSx}, {"klZ", L.klZ},
                         {"klSy", L.klSy}, {"total", L.total}, {"gradNorm", L.gradNorm}})
    o.Set(name, v);
  return o;
}

Napi::Object loss_object(Napi::Env env, const TJepaLoss& L) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", L.loss);
  o.Set("gradNorm", L.gradNorm);
  return o;
}

EmbedViews parse_embed_options(const Napi::Value& v) {
  EmbedViews e;
  read_group<Group::embed>(object_arg(v, "options"), "options", e);
  return e;
}

GenerateOptions parse_generate_options(const Napi::Value& v) {
  GenerateOptions g;
  read_group<Group::generate>(object_arg(v, "options"), "options", g);
  return g;
}

Napi::Value config_fields(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  auto add = [&](const char* group, const char* name, bool integer_field, double lo, double hi) {
    if (!out.Has(group)) out.Set(group, Napi::Object::New(env));
    Napi::Array r = Napi::Array::New(env, 3);
    r.Set(0u, integer_field ? "int" : "num");
    r.Set(1u, Napi::Number::New(env, lo));
    r.Set(2u, Napi::Number::New(env, hi));
    out.Get(group).As<Napi::Object>().Set(name, r);
  };
#define VJ_SHARED(name, integer_field, lo, hi) add("shared", #name, integer_field, lo, hi);
#define VJ_VARTJEPA(name, integer_field, lo, hi) add("vartjepa", #name, integer_field, lo, hi);
#define VJ_TJEPA(name, integer_field, lo, hi) add("tjepa", #name, integer_field, lo, hi);
#define VJ_VSCHEDULE(name, integer_field, lo, hi) add("vschedule", #name, integer_field, lo, hi);
#define VJ_TSCHEDULE(name, integer_field, lo, hi) add("tschedule", #name, integer_field, lo, hi);
#define VJ_EMBED(name, integer_field, lo, hi) add("embed", #name, integer_field, lo, hi);
#define VJ_GENERATE(name, integer_field, lo, hi) add("generate", #name, integer_field, lo, hi);
#define VJ_PROBE(name, integer_field, lo, hi) add("probe", #name, integer_field, lo, hi);
#include "model/config_fields.inc"
#undef VJ_EMBED
#undef VJ_GENERATE
#undef VJ_PROBE
#undef VJ_SHARED
#undef VJ_VARTJEPA
#undef VJ_TJEPA
#undef VJ_VSCHEDULE
#undef VJ_TSCHEDULE
  return out;
}

// ---- batches and masks ------------------------------------------------------------------------

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

Batch read_batch(const Napi::Value& v, const ModelConfig& c, int64_t min_rows, int64_t max_rows, const std::string& what) {
  Napi::Object o = object_arg(v, what);
  Batch b;
  b.rows = integer(o.Get("rows"), min_rows, max_rows, what + ".rows");
  b.x_value = o.Get("x");
  b.x = typed<float>(b.x_value, b.rows * c.D(), what + ".x");
  check_table(v.Env(), c, b.x, b.rows, (what + ".x").c_str());
  return b;
}

MaskInput read_masks(const Napi::Value& v, const ModelConfig& c, int B) {
  Napi::Env env = v.Env();
  Napi::Object o = object_arg(v, "masks");
  const int D = c.D();
  MaskInput in;
  StepMasks& m = in.m;
  m.Mc = static_cast<int>(integer(o.Get("ctxSize"), 1, c.max_ctx(), "masks.ctxSize"));
  m.Mt = static_cast<int>(integer(o.Get("trgSize"), 1, c.max_trg(), "masks.trgSize"));
  if (m.Mc + m.Mt > D)
    throw Napi::RangeError::New(env, "masks.ctxSize + masks.trgSize must be at most the feature count " + std::to_string(D));
  in.ctx_value = o.Get("ctx");
  in.trg_value = o.Get("trg");
  m.ctx = typed<int32_t>(in.ctx_value, static_cast<int64_t>(B) * m.Mc, "masks.ctx");
  m.trg = typed<int32_t>(in.trg_value, static_cast<int64_t>(c.masks) * B * m.Mt, "masks.trg");
  std::vector<uint8_t> in_ctx(static_cast<size_t>(D));
  for (int b = 0; b < B; ++b) {
    std::fill(in_ctx.begin(), in_ctx.end(), 0);
    for (int t = 0; t < m.Mc; ++t) {
      int j = m.ctx[b * m.Mc + t];
      if (j < 0 || j >= D || in_ctx[static_cast<size_t>(j)])
        throw Napi::RangeError::New(env, "Expected distinct feature indices in [0, " + std::to_string(D) + ") in masks.ctx but received " +
                                             std::to_string(j) + " at row " + std::to_string(b));
      in_ctx[static_cast<size_t>(j)] = 1;
    }
    for (int k = 0; k < c.masks; ++k)
      for (int u = 0; u < m.Mt; ++u) {
        int j = m.trg[(static_cast<int64_t>(k) * B + b) * m.Mt + u];
        if (j < 0 || j >= D || in_ctx[static_cast<size_t>(j)])
          throw Napi::RangeError::New(env, "Expected feature indices in [0, " + std::to_string(D) +
                                               ") outside the row's context in masks.trg but received " + std::to_string(j) +
                                               " at mask " + std::to_string(k) + ", row " + std::to_string(b));
      }
  }
  return in;
}

float* float_field(Napi::Object o, const char* key, int64_t n, const std::string& path, bool optional) {
  Napi::Value v = o.Get(key);
  if (optional && (v.IsUndefined() || v.IsNull())) return nullptr;
  return typed<float>(v, n, path + "." + key);
}

Napi::Float32Array copy_out(Napi::Env env, const float* p, int64_t n) {
  Napi::Float32Array a = Napi::Float32Array::New(env, static_cast<size_t>(n));
  std::memcpy(a.Data(), p, static_cast<size_t>(n) * sizeof(float));
  return a;
}

void append_param_table(Napi::Env env, Napi::Array arr, const ParamSet& ps, int64_t base) {
  const auto& views = ps.values.views();
  for (size_t i = 0; i < views.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", views[i].name);
    o.Set("offset", static_cast<double>(base + views[i].offset));
    o.Set("size", static_cast<double>(views[i].size));
    Napi::Array shape = Napi::Array::New(env, views[i].shape.size());
    for (size_t k = 0; k < views[i].shape.size(); ++k) shape.Set(static_cast<uint32_t>(k), views[i].shape[k]);
    o.Set("shape", shape);
    o.Set("decay", ps.info[i].decay);
    arr.Set(arr.Length(), o);
  }
}

}  // namespace napi
}  // namespace vj
