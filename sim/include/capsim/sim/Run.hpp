// The core entry point both front ends call: run a parsed scenario and return its Result.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "capsim/models/Scenario.hpp"
#include "capsim/sim/Result.hpp"

namespace capsim {

struct RunOptions {
  std::optional<std::uint64_t> seed;    ///< replaces the scenario's run.seed when set
  std::optional<std::string> fidelity;  ///< replaces run.fidelity when set: estimate or simulate
  bool trace = false;  ///< record Result::trace (simulate only): every workload's spans
};

/// Called as the run advances: fraction done in [0, 1] and what is being worked on (also while a
/// simulation runs, with its progress in simulated time).
using ProgressCallback = std::function<void(double fraction, const std::string& stage)>;

/// Runs every workload of `scenario`. Throws ConfigurationError when a cluster or workload cannot
/// be built as described (radix, parallel sizes, memory), or for an unknown fidelity. With
/// fidelity `simulate` each training workload's iteration is also simulated, each in a child
/// process (SimGrid allows one engine per process); a workload the simulation cannot play gets
/// its reason in Result::simulations instead.
Result run(const Scenario& scenario, const RunOptions& options = {},
           const ProgressCallback& progress = {});

/// The version string of this build ("0.1.0").
std::string capsim_version();

}  // namespace capsim
