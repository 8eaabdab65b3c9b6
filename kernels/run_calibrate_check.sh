#!/usr/bin/env bash
# On a GPU host: runs capsim-calibrate --quick into OUT_DIR/profile.json (progress and log in
# OUT_DIR/calibrate.log) and records the GPU (nvidia-smi). Compare the profile with the reference
# sweep afterwards, on any host (docs/calibration.md):
#   capsim calibrate check OUT_DIR/profile.json --reference ../shared/calibration/h100-sxm-80gb.cublas-sweep.csv
#   kernels/run_calibrate_check.sh BIN_DIR OUT_DIR
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 BIN_DIR OUT_DIR" >&2
  exit 2
fi
bin=$1 out=$2
mkdir -p "$out"
nvidia-smi | tee "$out/nvidia-smi.txt" || echo "nvidia-smi is not available" | tee "$out/nvidia-smi.txt"
nvidia-smi --query-gpu=name,driver_version,power.limit,clocks.max.sm,temperature.gpu \
  --format=csv > "$out/device.csv" 2>/dev/null || true
start=$(date +%s)
set +e
"$bin/capsim-calibrate" --quick --out "$out/profile.json" 2>&1 | tee "$out/calibrate.log"
status=${PIPESTATUS[0]}
set -e
echo "capsim-calibrate exit $status after $(( $(date +%s) - start )) s" | tee -a "$out/calibrate.log"
nvidia-smi --query-gpu=name,clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active \
  --format=csv 2>/dev/null | tee -a "$out/calibrate.log" || true
exit "$status"
