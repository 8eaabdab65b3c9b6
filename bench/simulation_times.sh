#!/usr/bin/env bash
# The `simulate` fidelity's speed targets (issue 4), measured with /usr/bin/time -v:
#   Llama 3.1 405B on 16,384 H100 (TP8 PP16 DP128, three-tier Clos) with its data-parallel
#   traffic as flows (ZeRO-1 after the backward, full recompute to fit): under 60 s, 4 GiB;
#   GPT-3 175B on 1,024 A100 (TP8 PP16 DP8), the same: under 10 s.
# Prints wall time, peak RSS (the largest of capsim and its simulation child), the simulated
# events (computations and transfers, JSON training[].simulation.events) and events per second
# of wall time. Run on an idle machine; the figures go to docs/simulation.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
capsim="${CAPSIM_BIN:-$root/build/bin/capsim}"
dp_flows=(--set 'workloads[0].zero_stage=1' --set 'workloads[0].overlap.data_parallel=false')

measure() {
  local name="$1"; shift
  local out
  out="$(mktemp -d)"
  /usr/bin/time -v "$capsim" run "$@" --fidelity simulate --out "$out" --quiet --format json \
    >/dev/null 2>"$out/time.txt" || true
  local wall rss events flows
  wall=$(grep 'Elapsed (wall clock)' "$out/time.txt" | awk -F': ' '{print $2}' |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  rss=$(grep 'Maximum resident set size' "$out/time.txt" | awk -F': ' '{print $2}')
  events=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['training'][0]['simulation']['events'])" "$out/result.json")
  flows=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['training'][0]['simulation']['dp_comm_as_flows'])" "$out/result.json")
  printf '%-34s wall %7.2f s  peak RSS %7.1f MiB  events %9d  %9.0f events/s  dp rings as flows: %s\n' \
    "$name" "$wall" "$(echo "$rss / 1024" | bc -l)" "$events" "$(echo "$events / $wall" | bc -l)" "$flows"
  rm -rf "$out"
}

measure "llama3-405b 16,384 H100 dp flows" "$root/scenarios/llama3-405b-16k-h100.yaml" \
  "${dp_flows[@]}" --set 'workloads[0].recompute=full'
measure "gpt3-175b 1,024 A100 dp flows" "$root/scenarios/gpt3-175b-1k-a100.yaml" "${dp_flows[@]}"
measure "llama3-405b 16,384 H100 (scenario)" "$root/scenarios/llama3-405b-16k-h100.yaml"
measure "gpt3-175b 1,024 A100 (scenario)" "$root/scenarios/gpt3-175b-1k-a100.yaml"
