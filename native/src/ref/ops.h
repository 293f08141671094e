// Declarations of the scalar reference ops (native/src/ref). Signatures mirror Backend.
#pragma once
#include <cstdint>

#include "engine/backend.h"

namespace vj {
namespace ref {

// linear.cc
void linear_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const MatDims& d);
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, const MatDims& d);

// attention.cc
void attention_forward(float* out, float* probs, const float* qkv, const uint8_t* key_mask,
                       const AttnDims& d);
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* probs,
                        const uint8_t* key_mask, const AttnDims& d);
void cross_attention_forward(float* out, float* probs, const float* q, const float* kv,
                             const uint8_t* key_mask, const CrossDims& d);
void cross_attention_backward(float* dq, float* dkv, const float* dout, const float* q,
                              const float* kv, const float* probs, const uint8_t* key_mask,
                              const CrossDims& d);

}  // namespace ref
}  // namespace vj
