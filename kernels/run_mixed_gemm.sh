#!/usr/bin/env bash
# A training-like duty cycle: capsim-sustained-gemm with a device copy after every GEMM (the
# memory-bound kernels between a layer's GEMMs), for copies of 0, 256 MiB and 1 GiB, sampling
# the SM clock and board power meanwhile, into OUT_DIR.
#   kernels/run_mixed_gemm.sh BIN_DIR OUT_DIR [SECONDS]
set -euo pipefail
bin=$1 out=$2 seconds=${3:-15}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm --format=csv > "$out/device.csv"
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu --format=csv,nounits \
  -lms 100 > "$out/smi.csv" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
for copy in 268435456 1073741824; do
  "$bin/capsim-sustained-gemm" 16384 6144 4096 "$seconds" "$copy" > "$out/mixed-16384x6144x4096-copy$copy.csv"
  sleep 3
done
