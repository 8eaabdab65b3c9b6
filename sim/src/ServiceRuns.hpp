// The inference services of a scenario in a run (private to sim/): planned always (the estimate's
// capacity answer), simulated together in one child process with fidelity simulate, priced, and
// their SLOs checked.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "capsim/models/Scenario.hpp"
#include "capsim/sim/Result.hpp"
#include "capsim/sim/ServingSimulation.hpp"

namespace capsim::sim_detail {

/// Fills result.services and result.service_plans. result.clusters must be planned.
void plan_services(const Scenario& scenario, Result& result);

/// Fills result.service_outcomes: every service simulated in one child process, with requests
/// drawn from result.seed. `progress` gets the fraction of simulated time done.
void simulate_services_in_child(const Scenario& scenario, Result& result,
                                const std::function<void(double)>& progress);

/// A disaggregated service's prefill pool laid out on its cluster (nullopt otherwise).
std::optional<PrefillPoolSetup> prefill_pool_setup(const InferenceService& service,
                                                   const ServicePlan& plan,
                                                   const ClusterConfig& cluster,
                                                   const ClusterPlan& cluster_plan);

/// The figure a latency limit bounds: its measure's percentile in `stats`.
double percentile_of(const ServiceStats& stats, const LatencySlo& slo);

/// The SLO checks of every simulated service (appended to result.targets).
void check_service_targets(Result& result);

/// The seed of service `index`'s requests from the run's seed (the run's seed itself: the same
/// traffic gives the same requests in every service).
std::uint64_t service_seed(std::uint64_t seed, std::size_t index);

}  // namespace capsim::sim_detail
