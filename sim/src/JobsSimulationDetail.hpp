// The shared body of simulate_training_jobs() and simulate_training_iteration() (private to sim/):
// the same checks and run, with the caller's name in messages.
#pragma once

#include <string>
#include <vector>

#include "IterationPlan.hpp"
#include "JobActors.hpp"
#include "capsim/sim/JobsSimulation.hpp"

namespace capsim::sim_detail {

/// simulate_training_jobs() with messages prefixed "`caller`: ".
JobsSimulation simulate_jobs(const std::string& caller, const std::vector<PlacedJob>& jobs,
                             const Topology& topology, const ClusterConfig& cluster,
                             const SimulationSettings& settings);

/// One iteration's timing as the public SimulatedIteration.
SimulatedIteration summarise(const IterationPlan& plan, const IterationTiming& timing);

}  // namespace capsim::sim_detail
