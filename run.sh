#!/usr/bin/env bash
# Installs what is missing, builds capsim and opens the studio on a scenario (default: the
# quickstart) when a display is available; otherwise, or with --headless, runs the scenario
# with the CLI.
#   ./run.sh [--headless] [SCENARIO] [capsim run options...]
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"
headless=0
if [ "${1:-}" = "--headless" ]; then
  headless=1
  shift
fi
capsim_install_packages
capsim_build_all
scenario="${1:-$capsim_root/scenarios/quickstart.yaml}"
shift || true
if [ "$headless" -eq 0 ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } &&
  [ -x "$capsim_build/bin/capsim-studio" ]; then
  exec "$capsim_build/bin/capsim-studio" "$scenario"
fi
out="$capsim_root/out/$(basename "${scenario%.*}")"
exec "$capsim_build/bin/capsim" run "$scenario" --out "$out" "$@"
