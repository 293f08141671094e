// The run-time loader of the CUDA backend library (engine/cuda_loader.cc). cuda_backend() is
// declared in engine/backend.h; this header adds what `varjepa doctor` reports.
#pragma once
#include <cstdint>
#include <string>

#include "engine/backend.h"

namespace vj {

struct CudaProbe {
  bool library_loaded = false;  // varjepa_cuda.so found and loaded
  bool available = false;       // ... and a driver and the device were found (not self-tested)
  std::string library, reason, architectures, device_name;
  int driver = 0, runtime = 0, devices = 0, cc_major = 0, cc_minor = 0;  // versions as 1000 * major + 10 * minor
  int64_t memory = 0;  // bytes
};

// "<16 hex digits> (<n>-byte table)": a backend version (kBackendVersion) and table size as the
// loader's messages and `varjepa doctor` print them.
std::string backend_version_text(uint64_t version, uint64_t table_bytes);

// Never throws: what could be found out about CUDA device `device_index`.
CudaProbe cuda_probe(int device_index);

}  // namespace vj
