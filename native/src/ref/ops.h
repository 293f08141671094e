// Declarations of the scalar reference ops (native/src/ref). Signatures mirror Backend.
#pragma once
#include <cstdint>

#include "engine/backend.h"

namespace vj {
namespace ref {

#include "engine/op_decls.inc"  // every op, declared in this namespace

}  // namespace ref
}  // namespace vj
