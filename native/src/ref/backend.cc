// The "scalar" backend: the plain reference ops, ground truth for every fast path. Its table is
// the op list (engine/backend_ops.inc) filled with the vj::ref functions.
#include "ref/ops.h"

namespace vj {

const Backend& backend_scalar() {
  static const Backend b = [] {
    Backend t = cpu_table("scalar");
#define VJ_OP(ret, name, params) t.name##_fn = HostFn<&ref::name>::call;
#include "engine/backend_ops.inc"
#undef VJ_OP
    return t;
  }();
  return b;
}

}  // namespace vj
