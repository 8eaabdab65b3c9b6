#!/usr/bin/env bash
# Installs what is missing, builds capsim and runs one scenario (default: the quickstart).
#   ./run.sh [SCENARIO] [capsim run options...]
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"
capsim_install_packages
capsim_build_all
scenario="${1:-$capsim_root/scenarios/quickstart.yaml}"
shift || true
out="$capsim_root/out/$(basename "${scenario%.*}")"
exec "$capsim_build/bin/capsim" run "$scenario" --out "$out" "$@"
