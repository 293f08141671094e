// Instruction sets detected at run time (cpuid + xgetbv), so one binary runs on any x86-64.
#pragma once

namespace vj {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
  bool sse42, avx, avx2, fma, f16c, avx512f, avx512bw, avx512dq, avx512vl;
};

const CpuFeatures& cpu_features();
bool isa_supported(Isa isa);
Isa best_isa();
const char* isa_name(Isa isa);
// parses "scalar" | "avx2" | "avx512"; returns false when the name is unknown
bool parse_isa(const char* name, Isa* out);

}  // namespace vj
