#!/usr/bin/env bash
# Runs capsim-sustained-gemm on the shapes that matter for training and samples the GPU's SM
# clock and board power every 100 ms meanwhile (nvidia-smi), into OUT_DIR.
#   kernels/run_sustained_gemm.sh BIN_DIR OUT_DIR [SECONDS]
set -euo pipefail
bin=$1 out=$2 seconds=${3:-20}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm --format=csv > "$out/device.csv"
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu --format=csv,nounits \
  -lms 100 > "$out/smi.csv" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
for shape in "8192 8192 8192" "16384 6144 4096" "4096 28672 8192"; do
  name=$(echo "$shape" | tr ' ' 'x')
  date +%s.%N > "$out/start-$name.txt"
  "$bin/capsim-sustained-gemm" $shape "$seconds" > "$out/gemm-$name.csv"
  sleep 3
done
