// Declarations of the scalar reference ops (native/src/ref). Signatures mirror Backend.
#pragma once
#include <cstdint>

#include "engine/backend.h"

namespace vj {
namespace ref {

// every op of the list, declared in this namespace
#define VJ_OP(ret, name, params) ret name params;
#include "engine/backend_ops.inc"
#undef VJ_OP

}  // namespace ref
}  // namespace vj
