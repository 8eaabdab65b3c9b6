// simulate_workload(): the `simulate` fidelity for one planned training workload (private to sim/).
#pragma once

#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/Result.hpp"

namespace capsim::sim_detail {

/// Simulates one iteration of `plan` (the estimate of `job` on `cluster`, planned as
/// `cluster_plan`) in a child process. A ConfigurationError of the simulation (vpp > 1, ...)
/// comes back as a not-simulated outcome with its reason; other failures throw.
SimulationOutcome simulate_workload(const TrainingWorkload& job, const ClusterConfig& cluster,
                                    const ClusterPlan& cluster_plan, const TrainingPlan& plan);

}  // namespace capsim::sim_detail
