// The fast CPU backend table for one instruction set (this file is compiled per ISA): the op
// list (engine/backend_ops.inc) filled with the vj::<isa> functions.
#include "cpu/ops.h"

namespace vj {
namespace VJ_NS {

#define VJ_STR2(x) #x
#define VJ_STR(x) VJ_STR2(x)

static Backend make_backend() {
  Backend t = cpu_table(VJ_STR(VJ_NS));
#define VJ_OP(ret, name, params) t.name##_fn = HostFn<&VJ_NS::name>::call;
#include "engine/backend_ops.inc"
#undef VJ_OP
  return t;
}

const Backend& backend() {
  static const Backend b = make_backend();
  return b;
}

}  // namespace VJ_NS
}  // namespace vj
