// simulate_in_child(): simulate_training_jobs() in a forked child process, its results read back
// exactly (private to sim/). SimGrid allows one engine per process, so a run with several
// simulations gives each its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ChildProcess.hpp"
#include "capsim/sim/JobsSimulation.hpp"

namespace capsim::sim_detail {

/// What a simulation in a child gave back: every job's iterations and the trace, or why not.
struct ChildSimulation {
  bool simulated = false;
  std::string reason;  ///< the ConfigurationError's message (prefix removed) when not simulated
  std::vector<std::vector<SimulatedIteration>> jobs;  ///< [job][iteration], stage lists empty
  std::vector<TraceSpan> trace;
  std::uint64_t events = 0;                   ///< JobsSimulation::events
  std::vector<CheckpointTiming> checkpoints;  ///< [job]
};

/// Runs simulate_training_jobs(jobs, topology, cluster, settings) in a child; its progress goes
/// to `on_progress`. A ConfigurationError comes back as a not-simulated result with its reason;
/// other failures throw std::runtime_error.
ChildSimulation simulate_in_child(const std::vector<PlacedJob>& jobs, const Topology& topology,
                                  const ClusterConfig& cluster, SimulationSettings settings,
                                  const ChildProgress& on_progress);

}  // namespace capsim::sim_detail
