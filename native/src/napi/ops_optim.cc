// Op runner entries: AdamW, sum of squares (for clipping by global norm), in-place scaling and
// the EMA update. Hyper-parameters are checked to be finite and in range, naming dims.<name>.
#include <string>

#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

enum class Bound { Open, Closed, None };

// dims.<name>: a finite number in the interval lo..hi, each end open, closed or absent
double hparam(OpCall& c, const char* name, double lo, Bound lo_b, double hi, Bound hi_b) {
  const double v = c.num(name);
  const bool ok = (lo_b == Bound::None || (lo_b == Bound::Closed ? v >= lo : v > lo)) &&
                  (hi_b == Bound::None || (hi_b == Bound::Closed ? v <= hi : v < hi));
  if (ok) return v;
  auto fmt = [&](double x) { return Napi::Number::New(c.env, x).ToString().Utf8Value(); };
  std::string range;
  if (hi_b == Bound::None)
    range = std::string(lo_b == Bound::Closed ? ">= " : "> ") + fmt(lo);
  else
    range = std::string("in ") + (lo_b == Bound::Closed ? "[" : "(") + fmt(lo) + ", " + fmt(hi) +
            (hi_b == Bound::Closed ? "]" : ")");
  throw Napi::RangeError::New(c.env, "Expected a number " + range + " for dims." + name + " but received " +
                                         describe(c.dims.Get(name)));
}

int64_t length_dim(OpCall& c) { return c.dim("n", 1, 1 << 30); }

Napi::Value adamw(OpCall& c) {
  const int64_t n = length_dim(c);
  AdamwHparams h{};
  h.lr = static_cast<float>(hparam(c, "lr", 0, Bound::Closed, 0, Bound::None));
  h.beta1 = static_cast<float>(hparam(c, "beta1", 0, Bound::Closed, 1, Bound::Open));
  h.beta2 = static_cast<float>(hparam(c, "beta2", 0, Bound::Closed, 1, Bound::Open));
  h.eps = static_cast<float>(hparam(c, "eps", 0, Bound::Open, 0, Bound::None));
  h.weight_decay = static_cast<float>(hparam(c, "weight_decay", 0, Bound::Closed, 0, Bound::None));
  h.step = c.dim("step", 1, INT32_MAX);
  float* params = c.buf<float>("params", n);
  float* m = c.buf<float>("m", n);
  float* v = c.buf<float>("v", n);
  const float* grads = c.buf<float>("grads", n);
  const uint8_t* decay = c.opt<uint8_t>("decay", n);
  if (decay)
    for (int64_t i = 0; i < n; ++i)
      if (decay[i] > 1)
        throw Napi::RangeError::New(c.env, "Expected values in [0, 2) in buffers.decay but received " +
                                               std::to_string(decay[i]) + " at index " + std::to_string(i));
  c.op(&Backend::adamw_update_fn)(params, m, v, grads, decay, h, n);
  return c.env.Undefined();
}

Napi::Value sum_squares(OpCall& c) {
  const int64_t n = length_dim(c);
  const float* x = c.buf<float>("x", n);
  return Napi::Number::New(c.env, c.op(&Backend::sum_squares_fn)(x, n));
}

Napi::Value scale_inplace(OpCall& c) {
  const int64_t n = length_dim(c);
  const float s = static_cast<float>(c.num("s"));
  float* x = c.buf<float>("x", n);
  c.op(&Backend::scale_inplace_fn)(x, s, n);
  return c.env.Undefined();
}

Napi::Value ema(OpCall& c) {
  const int64_t n = length_dim(c);
  const float momentum = static_cast<float>(hparam(c, "momentum", 0, Bound::Closed, 1, Bound::Closed));
  float* target = c.buf<float>("target", n);
  const float* source = c.buf<float>("source", n);
  c.op(&Backend::ema_update_fn)(target, source, momentum, n);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(adamw_update, adamw);
VJ_REGISTER_OP(sum_squares, sum_squares);
VJ_REGISTER_OP(scale_inplace, scale_inplace);
VJ_REGISTER_OP(ema_update, ema);

}  // namespace napi
}  // namespace vj
