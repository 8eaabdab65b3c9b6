// The seeded random model of slow GPUs for the `simulate` fidelity (run.variability), and the
// iteration-time distribution reports show. Deterministic: the same seed and settings give the
// same numbers bit for bit (std::mt19937_64 and this file's own uniform and normal draws; no
// std:: distribution, whose algorithms differ between standard libraries).
//
// Per cluster, from one std::mt19937_64 seeded with seed + cluster index:
// 1. slow servers: `slow_servers` distinct servers drawn uniformly (a partial Fisher-Yates
//    shuffle of 0 .. servers - 1), slow for the whole run;
// 2. then for each iteration, for each GPU in rank order, one standard normal z (Box-Muller,
//    one draw of two uniforms per GPU): that GPU's compute in that iteration takes
//    (1 + |z| x gpu_jitter) x (1 + slowdown if its server is slow) times its nominal time.
// Nominal is the estimate's speed: jitter only ever slows a GPU down.
#pragma once

#include <cstdint>
#include <vector>

#include "capsim/models/Scenario.hpp"

namespace capsim {

/// What the model drew for one cluster.
struct SlowdownDraw {
  std::vector<int> slow_servers;                ///< ascending server indices
  std::vector<std::vector<double>> gpu_factor;  ///< [iteration][GPU rank], >= 1
};

/// Draws `iterations` iterations of factors for a cluster of `servers` servers of
/// `gpus_per_server` GPUs. Throws ConfigurationError for slow_servers > servers, a negative or
/// non-finite jitter or slowdown, or iterations < 1.
SlowdownDraw draw_slowdowns(const VariabilityConfig& config, std::uint64_t seed, int cluster_index,
                            int servers, int gpus_per_server, int iterations);

/// Iteration times summarised: nearest-rank percentiles of the sorted times.
struct IterationStats {
  int count = 0;
  double mean_s = 0, p50_s = 0, p90_s = 0, p99_s = 0, min_s = 0, max_s = 0;
};

/// Summarises `times_s` (seconds); all zero when empty.
IterationStats iteration_stats(std::vector<double> times_s);

}  // namespace capsim
