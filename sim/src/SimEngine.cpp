// claim_engine() and start_engine(): the one engine a process may run.
#include "SimEngine.hpp"

#include <xbt/log.h>

#include <atomic>

#include "SimPlatform.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim::sim_detail {
namespace {

// Set by the first simulation in this process: SimGrid's engine is a process-wide singleton.
std::atomic<bool> engine_used{false};

}  // namespace

void claim_engine(const std::string& caller) {
  if (engine_used.exchange(true))
    throw ConfigurationError(std::string(caller).append(
        ": a simulation already ran in this process; SimGrid allows one engine per process, so "
        "run each simulation in its own process"));
}

std::unique_ptr<simgrid::s4u::Engine> start_engine() {
  xbt_log_control_set("root.thres:critical");
  int argc = 1;
  static char program[] = "capsim";
  char* argv[] = {program, nullptr};
  auto engine = std::make_unique<simgrid::s4u::Engine>(&argc, argv);
  configure_network_model();
  return engine;
}

}  // namespace capsim::sim_detail
