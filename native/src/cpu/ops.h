// Declarations of the fast CPU ops (native/src/cpu), one copy per instruction set (VJ_NS).
// Signatures mirror Backend.
#pragma once
#include <cstdint>

#include "cpu/simd.h"
#include "engine/backend.h"

namespace vj {
namespace VJ_NS {

// every op of the list, declared in this namespace
#define VJ_OP(ret, name, params) ret name params;
#include "engine/backend_ops.inc"
#undef VJ_OP

const Backend& backend();

}  // namespace VJ_NS
}  // namespace vj
