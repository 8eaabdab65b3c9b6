#!/usr/bin/env bash
# Wall time of `capsim run` for every scenario file (best of 3), for the issue notes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
capsim="${CAPSIM_BIN:-$root/build/bin/capsim}"
for scenario in "$root"/scenarios/*.yaml; do
  best=""
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$capsim" run "$scenario" --out "$(mktemp -d)" --quiet >/dev/null || true
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  printf '%-40s %6.3f s\n' "$(basename "$scenario")" "$best"
done
