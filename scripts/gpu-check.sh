#!/usr/bin/env bash
# The whole GPU check, for a machine with an NVIDIA GPU and its driver (docs/gpu.md): builds
# kestrel where dist/ or the native addons are missing, then runs every supported model of
# shared/models from one --target nvptx artifact each on cuda:0 against its references and prints
# kestrel's latency per model (bench/gpu.mjs), then PyTorch's on the same GPU where torch with CUDA
# is importable (scripts/gpu-torch-bench.py; a benchmark only). A few minutes in all.
# Usage: scripts/gpu-check.sh [RUNS (default 20)] [ARCH (default sm_80)]; see docs/gpu.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-20}"
ARCH="${2:-sm_80}"
export KESTREL_SHARED="${KESTREL_SHARED:-$(cd .. && pwd)/shared}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
# KESTREL_GPU_PREBUILT=1: run the artifacts already in $KESTREL_GPU_OUT (no LLVM needed here).
need=native/build/Release/kestrel_runtime.node
[ "${KESTREL_GPU_PREBUILT:-0}" = 1 ] || need="$need native/build/Release/kestrel_llvm.node"
for f in $need; do [ -f "$f" ] || { npm run build:native; break; }; done
[ -f dist/compiler/driver.js ] || npm run build:ts
status=0
node bench/gpu.mjs "$RUNS" "$ARCH" || status=$?
if command -v python3 >/dev/null; then
  python3 scripts/gpu-torch-bench.py "$KESTREL_SHARED" "$RUNS" || true
else
  echo "PyTorch: not measured (no python3)"
fi
exit "$status"
