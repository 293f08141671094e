// The "scalar" backend: the plain reference ops, ground truth for every fast path. Its table is
// the op list (engine/backend_ops.inc) filled with the vj::ref functions.
#include "engine/threadpool.h"
#include "ref/ops.h"

namespace vj {

const Backend& backend_scalar() {
  static const Backend b = [] {
    Backend t;
    t.name = "scalar";
#define VJ_OP(ret, name, params) t.name##_fn = HostFn<&ref::name>::call;
#include "engine/backend_ops.inc"
#undef VJ_OP
    set_host_memory(t);
    // host memory split over the thread pool (the arenas' zeroing and copies)
    t.mem_set_fn = HostFn<&parallel_memset>::call;
    t.copy_to_device_fn = t.copy_to_host_fn = t.copy_on_device_fn = HostFn<&parallel_memcpy>::call;
    return t;
  }();
  return b;
}

}  // namespace vj
