#!/usr/bin/env bash
# The CUDA device check: on a fresh GPU machine with this repository copied (node_modules and
# build folders may be missing; nvcc and node may or may not be installed), detect the tools,
# build the addon and varjepa_cuda.so, run the CUDA op suite and the model parity test, and time
# training and embedding (Adult configuration, batch 512 and 4096). Everything goes under $OUT
# (default ./device-check-out): summary.txt first, then one log per stage. Stages that cannot
# run say why in summary.txt. Budget: 12 minutes in all (each stage has its own timeout).
#   bash bench/cuda/device-check.sh
set -u
OUT="${OUT:-$PWD/device-check-out}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
START=$(date +%s)
say() { echo "$*" | tee -a "$SUMMARY"; }
elapsed() { echo $(( $(date +%s) - START ))s; }
# run NAME TIMEOUT CMD...: logs to $OUT/NAME.log, records status and duration
run() {
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  say "stage $name: exit $rc in $(( $(date +%s) - t0 ))s (limit ${limit}s; log $name.log)"
  return $rc
}

say "varjepa CUDA device check, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
# ---- tools ----
export PATH="$PATH:/usr/local/cuda/bin:/usr/local/cuda-13.0/bin:/usr/local/cuda-12/bin"
NVCC=$(command -v nvcc || true)
NODE=$(command -v node || true)
say "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader 2>&1 | head -1)"
say "nvcc: ${NVCC:-not found} $( [ -n "$NVCC" ] && nvcc --version | tail -1)"
say "node: ${NODE:-not found} $( [ -n "$NODE" ] && node --version)"
say "cmake: $(command -v cmake || echo 'not found (cmake-js brings none)') $(cmake --version 2>/dev/null | head -1)"
say "cpu: $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
if [ -z "$NODE" ]; then
  say "RESULT: cannot build or test: node is not installed on this machine"
  # still show that the CUDA sources compile here when nvcc exists
  if [ -n "$NVCC" ]; then
    for f in native/src/cuda/*.cu; do
      nvcc -std=c++17 -Inative/src -gencode arch=compute_90,code=sm_90 -c "$f" -o "$OUT/$(basename "$f").o" >> "$OUT/nvcc-only.log" 2>&1 || say "nvcc failed on $f"
    done
    say "nvcc-only compile of native/src/cuda: see nvcc-only.log"
  fi
  exit 0
fi
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true

# ---- build ----
if [ ! -d node_modules ]; then
  run npm-install 240 npm install --no-audit --no-fund --ignore-scripts || say "npm install failed: no registry access? (see npm-install.log)"
fi
JOBS=$(nproc)
export CMAKE_BUILD_PARALLEL_LEVEL=$JOBS
run build 300 bash -c "node scripts/build-ts.js && npx cmake-js compile --CDCMAKE_BUILD_TYPE=Release --CDVARJEPA_CUDA=$( [ -n "$NVCC" ] && echo ON || echo OFF )"
ls -la build/Release >> "$SUMMARY" 2>&1
if [ ! -f build/Release/varjepa_cuda.so ]; then
  say "no build/Release/varjepa_cuda.so: $( [ -z "$NVCC" ] && echo 'nvcc not found, so the CUDA library was not built' || echo 'the build failed (build.log)')"
fi
node bin/varjepa.js doctor > "$OUT/doctor.txt" 2>&1
node bin/varjepa.js doctor --json > "$OUT/doctor.json" 2>&1
say "doctor: $(grep '^cuda ' "$OUT/doctor.txt")"

# ---- tests: the CUDA op suite, model parity, device selection ----
run cuda-tests 180 npx vitest run test/cuda-ops.test.ts test/cuda-model.test.ts test/cuda-device.test.ts --reporter=verbose
grep -E "Tests |Test Files|skipped:|FAIL|✗|×" "$OUT/cuda-tests.log" | head -40 >> "$SUMMARY"

# ---- timings ----
run bench 150 node bench/cuda/model-bench.js --out "$OUT/bench.json"
say "bench: see bench.json"
say "total $(elapsed)"
