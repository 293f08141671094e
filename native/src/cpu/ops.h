// Declarations of the fast CPU ops (native/src/cpu), one copy per instruction set (VJ_NS).
// Signatures mirror Backend.
#pragma once
#include <cstdint>

#include "cpu/simd.h"
#include "engine/backend.h"

namespace vj {
namespace VJ_NS {

// linear.cc
void linear_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const MatDims& d);
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, const MatDims& d);

const Backend& backend();

}  // namespace VJ_NS
}  // namespace vj
