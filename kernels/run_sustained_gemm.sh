#!/usr/bin/env bash
# Runs capsim-sustained-gemm on GEMM shapes and samples the GPU's SM clock and board power every
# 100 ms meanwhile (nvidia-smi), into OUT_DIR.
#   kernels/run_sustained_gemm.sh [--fp8] BIN_DIR OUT_DIR [SECONDS] ["M N K" ...]
# Without shapes: 8192^3, 16384 x 6144 x 4096 and 4096 x 28672 x 8192. --fp8 runs E4M3 GEMMs.
set -euo pipefail
precision=()
if [ "${1:-}" = "--fp8" ]; then
  precision=(--fp8)
  shift
fi
bin=$1 out=$2 seconds=${3:-20}
shift $(($# < 3 ? $# : 3))
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=("8192 8192 8192" "16384 6144 4096" "4096 28672 8192")
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm --format=csv > "$out/device.csv"
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu --format=csv,nounits \
  -lms 100 > "$out/smi.csv" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
for shape in "${shapes[@]}"; do
  name=$(echo "$shape" | tr ' ' 'x')
  "$bin/capsim-sustained-gemm" "${precision[@]}" $shape "$seconds" > "$out/gemm-$name.csv"
  sleep 3
done
