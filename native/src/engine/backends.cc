// Backend selection: "scalar" (the reference), "avx2", "avx512", or null/"auto" for the best
// the CPU supports. VARJEPA_ISA in the environment overrides "auto".
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/backend.h"
#include "engine/cpu_features.h"
#include "engine/error.h"

namespace vj {
namespace avx2 { const Backend& backend(); }
namespace avx512 { const Backend& backend(); }

const Backend& cpu_backend(const char* name) {
  Isa isa = best_isa();
  const char* env = std::getenv("VARJEPA_ISA");
  const char* want = (name && *name && std::strcmp(name, "auto") != 0) ? name
                     : (env && *env && std::strcmp(env, "auto") != 0) ? env
                                                                       : nullptr;
  if (want) {
    if (!parse_isa(want, &isa))
      throw_range(std::string("Expected one of 'auto', 'scalar', 'avx2', 'avx512' for isa but received '") +
                  want + "'");
    if (!isa_supported(isa))
      throw_range(std::string("isa '") + want + "' is not supported by this CPU (best available: " +
                  isa_name(best_isa()) + ")");
  }
  switch (isa) {
    case Isa::Avx512: return avx512::backend();
    case Isa::Avx2: return avx2::backend();
    case Isa::Scalar: break;
  }
  return backend_scalar();
}

// non-null function pointers among the members [first, end) of a Backend
static int count_ops(const Backend& b, size_t first, size_t end) {
  const size_t n = (end - first) / sizeof(void (*)());
  const char* base = reinterpret_cast<const char*>(&b) + first;
  int count = 0;
  for (size_t i = 0; i < n; ++i) {
    void (*fp)();
    std::memcpy(&fp, base + i * sizeof(fp), sizeof(fp));
    if (fp) ++count;
  }
  return count;
}

int backend_op_count(const Backend& b) {
  // every member between `name` and the memory functions is an op pointer, and so is every
  // member of the glue block after them
  return count_ops(b, offsetof(Backend, linear_forward), offsetof(Backend, mem_alloc)) +
         count_ops(b, offsetof(Backend, fill_forward), sizeof(Backend));
}

void check_backend(const Backend& b, const char* what) {
  const char* e = b.last_error ? b.last_error() : nullptr;
  if (!e) return;
  std::string msg = std::string(b.name) + " backend error in " + what + ": " + e;
  if (b.clear_error) b.clear_error();
  throw Error(msg);
}

}  // namespace vj
