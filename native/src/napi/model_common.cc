// Shared pieces of the Node-API model objects (see model_common.h).
#include "napi/model_common.h"

#include <cmath>
#include <cstring>

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

ModelConfig parse_config(Napi::Object o, bool variational) {
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
  c.masks = get_int(o, "masks", 1, 64);
  c.ctxMin = get_num(o, "ctxMin", 0, 1);
  c.ctxMax = get_num(o, "ctxMax", 0, 1);
  c.trgMin = get_num(o, "trgMin", 0, 1);
  c.trgMax = get_num(o, "trgMax", 0, 1);
  if (variational) {
    c.pool = get_int(o, "pool", 1, 256);
    c.logvarMin = get_num(o, "logvarMin", -100, 0);
    c.logvarMax = get_num(o, "logvarMax", 0, 100);
  }
  c.posBase = get_num(o, "posBase", 1, 1e9);
  c.predPosBase = get_num(o, "predPosBase", 1, 1e9);
  c.maxBatch = get_int(o, "maxBatch", 1, 1 << 20);
  c.trainPieceRows = get_int(o, "trainPieceRows", 0, 1 << 20);
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

StepInput step_input(const Napi::CallbackInfo& info, const ModelConfig& c) {
  Napi::Env env = info.Env();
  const int D = c.D();
  StepInput a;
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
  return a;
}

float schedule_num(Napi::Object s, const char* k, double lo, double hi) {
  double v = finite(s.Get(k), std::string("schedule.") + k);
  if (v < lo || v > hi)
    throw Napi::RangeError::New(s.Env(), std::string("Expected a number between ") + std::to_string(lo) + " and " + std::to_string(hi) +
                                             " for schedule." + k + " but received " + describe(s.Get(k)));
  return static_cast<float>(v);
}

Napi::Float32Array copy_out(Napi::Env env, const float* p, int64_t n) {
  Napi::Float32Array a = Napi::Float32Array::New(env, static_cast<size_t>(n));
  std::memcpy(a.Data(), p, static_cast<size_t>(n) * sizeof(float));
  return a;
}

Napi::Float32Array copy_out(Napi::Env env, const Arena& a, int64_t n) {
  Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(n));
  a.read(out.Data(), 0, n);
  return out;
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
