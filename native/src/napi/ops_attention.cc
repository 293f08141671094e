// Op runner entries: multi-head self-attention and cross-attention (attention pooling).
#include <cstdio>
#include <string>

#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

// Largest buffer (in elements) the dims may describe: keeps every size product far from int64
// overflow and every index inside what the ops compute with.
constexpr double kMaxElements = 1099511627776.0;  // 2^40

// The product of dims, checked against kMaxElements; `what` names the product in the error.
int64_t elements(OpCall& c, std::initializer_list<int64_t> factors, const char* what) {
  double n = 1;
  for (int64_t f : factors) n *= static_cast<double>(f);
  if (n > kMaxElements) {
    char got[32];
    std::snprintf(got, sizeof got, "%.6g", n);
    throw Napi::RangeError::New(c.env, std::string("Expected ") + what +
                                           " to be at most 2^40 but received " + got);
  }
  return static_cast<int64_t>(n);
}

// buffers.key_mask (B, T) or null; every entry must be 0 (masked) or 1 (attend)
const uint8_t* key_mask(OpCall& c, int64_t n) {
  const uint8_t* m = c.opt<uint8_t>("key_mask", n);
  if (m)
    for (int64_t i = 0; i < n; ++i)
      if (m[i] > 1)
        throw Napi::RangeError::New(c.env, "Expected 0 or 1 in buffers.key_mask but received " +
                                               std::to_string(m[i]) + " at index " +
                                               std::to_string(i));
  return m;
}

AttnDims attn_dims(OpCall& c) {
  AttnDims d{c.dim("B"), c.dim("T"), c.dim("NH", 1, 4096), c.dim("HS", 1, 4096)};
  elements(c, {d.B, d.NH, d.T, d.T}, "dims.B * dims.NH * dims.T * dims.T");
  elements(c, {d.B, d.T, 3 * d.NH, d.HS}, "dims.B * dims.T * 3 * dims.NH * dims.HS");
  return d;
}

CrossDims cross_dims(OpCall& c) {
  CrossDims d{c.dim("B"), c.dim("P"), c.dim("T"), c.dim("NH", 1, 4096), c.dim("HS", 1, 4096)};
  elements(c, {d.B, d.NH, d.P, d.T}, "dims.B * dims.NH * dims.P * dims.T");
  elements(c, {d.B, d.T + d.P, 2 * d.NH, d.HS},
           "dims.B * (dims.T + dims.P) * 2 * dims.NH * dims.HS");
  return d;
}

Napi::Value attention_fwd(OpCall& c) {
  AttnDims d = attn_dims(c);
  const int64_t BT = (int64_t)d.B * d.T, C = (int64_t)d.NH * d.HS;
  float* out = c.buf<float>("out", BT * C);
  float* probs = c.buf<float>("probs", (int64_t)d.B * d.NH * d.T * d.T);
  const float* qkv = c.buf<float>("qkv", BT * 3 * C);
  const uint8_t* mask = key_mask(c, BT);
  c.op(&Backend::attention_forward_fn)(out, probs, qkv, mask, d);
  return c.env.Undefined();
}

Napi::Value attention_bwd(OpCall& c) {
  AttnDims d = attn_dims(c);
  const int64_t BT = (int64_t)d.B * d.T, C = (int64_t)d.NH * d.HS;
  float* dqkv = c.opt<float>("dqkv", BT * 3 * C);
  const float* dout = c.buf<float>("dout", BT * C);
  const float* qkv = c.buf<float>("qkv", BT * 3 * C);
  const float* probs = c.buf<float>("probs", (int64_t)d.B * d.NH * d.T * d.T);
  const uint8_t* mask = key_mask(c, BT);
  c.op(&Backend::attention_backward_fn)(dqkv, dout, qkv, probs, mask, d);
  return c.env.Undefined();
}

Napi::Value cross_attention_fwd(OpCall& c) {
  CrossDims d = cross_dims(c);
  const int64_t C = (int64_t)d.NH * d.HS;
  float* out = c.buf<float>("out", (int64_t)d.B * d.P * C);
  float* probs = c.buf<float>("probs", (int64_t)d.B * d.NH * d.P * d.T);
  const float* q = c.buf<float>("q", (int64_t)d.P * C);
  const float* kv = c.buf<float>("kv", (int64_t)d.B * d.T * 2 * C);
  const uint8_t* mask = key_mask(c, (int64_t)d.B * d.T);
  c.op(&Backend::cross_attention_forward_fn)(out, probs, q, kv, mask, d);
  return c.env.Undefined();
}

Napi::Value cross_attention_bwd(OpCall& c) {
  CrossDims d = cross_dims(c);
  const int64_t C = (int64_t)d.NH * d.HS;
  float* dq = c.opt<float>("dq", (int64_t)d.P * C);
  float* dkv = c.opt<float>("dkv", (int64_t)d.B * d.T * 2 * C);
  const float* dout = c.buf<float>("dout", (int64_t)d.B * d.P * C);
  const float* q = c.buf<float>("q", (int64_t)d.P * C);
  const float* kv = c.buf<float>("kv", (int64_t)d.B * d.T * 2 * C);
  const float* probs = c.buf<float>("probs", (int64_t)d.B * d.NH * d.P * d.T);
  const uint8_t* mask = key_mask(c, (int64_t)d.B * d.T);
  c.op(&Backend::cross_attention_backward_fn)(dq, dkv, dout, q, kv, probs,
                                                                    mask, d);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(attention_forward, attention_fwd);
VJ_REGISTER_OP(attention_backward, attention_bwd);
VJ_REGISTER_OP(cross_attention_forward, cross_attention_fwd);
VJ_REGISTER_OP(cross_attention_backward, cross_attention_bwd);

}  // namespace napi
}  // namespace vj
