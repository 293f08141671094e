// Declarations of the fast CPU ops (native/src/cpu), one copy per instruction set (VJ_NS).
// Signatures mirror Backend.
#pragma once
#include <cstdint>

#include "cpu/simd.h"
#include "engine/backend.h"

namespace vj {
namespace VJ_NS {

#include "engine/op_decls.inc"  // every op, declared in this namespace

const Backend& backend();

}  // namespace VJ_NS
}  // namespace vj
