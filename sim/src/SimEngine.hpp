// The process's one SimGrid engine (private to sim/). SimGrid's s4u::Engine is a process-wide
// singleton that cannot be re-created (notes/simgrid-3.32.md), so every simulation entry point
// claims it once, after checking its input, and then starts it.
#pragma once

#include <memory>
#include <simgrid/s4u/Engine.hpp>
#include <string>

namespace capsim::sim_detail {

/// Throws ConfigurationError ("`caller`: a simulation already ran in this process; ...") when
/// any simulation entry point already claimed the engine in this process; otherwise claims it.
void claim_engine(const std::string& caller);

/// Creates the engine with quiet logs and the network model of configure_network_model()
/// (SimPlatform.hpp). Call once, after claim_engine().
std::unique_ptr<simgrid::s4u::Engine> start_engine();

}  // namespace capsim::sim_detail
