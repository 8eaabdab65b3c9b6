// simulate_scenario(): the `simulate` fidelity over a planned scenario (private to sim/). Each
// cluster's placed workloads play together in one simulation (they share its fabric), each of
// them also alone on the same servers for comparison; every other workload alone on its whole
// cluster. Every simulation runs in its own child process, with run.iterations iterations and the
// cluster's drawn slow GPUs (Variability.hpp).
#pragma once

#include <functional>
#include <string>

#include "capsim/models/Scenario.hpp"
#include "capsim/sim/Result.hpp"

namespace capsim::sim_detail {

/// Progress of the simulations: fraction of all of them done, and which one runs.
using SimulationProgress = std::function<void(double, const std::string&)>;

/// Fills result.simulations (one per workload), result.slow_servers and, when `trace`,
/// result.trace. `result` must hold the clusters, training plans and placements already.
/// Throws ConfigurationError for variability settings the clusters cannot take.
void simulate_scenario(const Scenario& scenario, Result& result, bool trace,
                       const SimulationProgress& progress);

/// How many simulations simulate_scenario() runs for `scenario` placed as `placements`.
std::size_t simulation_count(const Scenario& scenario,
                             const std::vector<std::vector<int>>& placements);

}  // namespace capsim::sim_detail
