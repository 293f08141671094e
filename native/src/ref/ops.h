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

}  // namespace ref
}  // namespace vj
