// What capsim-calibrate measures, full or --quick: the GEMM shapes per data type, the sizes of
// the memory, host-copy, collective and storage groups and how long each sample lasts.
// Host code only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "GemmBenchmark.hpp"
#include "Timing.hpp"

namespace capsim::calibrate {

struct BenchmarkPlan {
  std::vector<std::string> gemm_dtypes;                 ///< in the order they run
  std::map<std::string, std::vector<GemmShape>> gemms;  ///< by dtype
  std::vector<GemmShape> batched_gemms;                 ///< bf16, attention shapes
  TimingPlan gemm_timing;
  /// A GEMM slower than this (s) is followed by an idle pause (cooldown_factor x its busy time,
  /// at least min_cooldown_s, at most max_cooldown_s) so the next big shape starts below the
  /// power cap, as the short bursts of the reference sweep did.
  double heavy_gemm_s = 1e-3;
  double cooldown_factor = 4, min_cooldown_s = 0.1, max_cooldown_s = 0.3;
  std::vector<double> memory_bytes;  ///< array sizes of copy and triad
  TimingPlan memory_timing;
  std::vector<double> host_copy_bytes;
  TimingPlan host_timing;
  int launches_per_sample = 1000, launch_samples = 5;
  std::vector<double> collective_bytes;  ///< per rank
  int collective_samples = 3, collective_iterations = 5;
  double peer_copy_bytes = 256.0 * (1 << 20);
  double storage_bytes = 0;  ///< default read size of --storage
};

/// The plan of a full run, or of --quick (under 3 minutes on an H100: docs/calibration.md).
BenchmarkPlan make_plan(bool quick);

/// The GEMM grid of the reference sweep (shared/calibration): every m, n, k in 128 x 2^i up to
/// 16384 when `dense`, else 128, 512, 2048, 8192; then transformer layer shapes (Llama 8B/70B
/// projections and MLPs, GPT-3 2.7B, decode-sized skinny GEMMs).
std::vector<GemmShape> gemm_grid(bool dense, bool transpose_a);

}  // namespace capsim::calibrate
