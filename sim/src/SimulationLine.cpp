// simulation_line(): the one line the terminal summary and summary.md show per simulated workload.
#include <cstdio>

#include "capsim/models/Units.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim {

std::string simulation_line(const SimulationOutcome& outcome) {
  if (!outcome.simulated) return std::string("not simulated: ").append(outcome.reason);
  char percent[32];
  std::snprintf(percent, sizeof percent, "%+.1f%%", 100 * outcome.relative_difference());
  return std::string("simulated iteration ")
      .append(format_quantity(outcome.iteration_s, Quantity::Time))
      .append(" (estimate ")
      .append(format_quantity(outcome.estimate_iteration_s, Quantity::Time))
      .append(", ")
      .append(percent)
      .append("); data-parallel ")
      .append(outcome.dp_comm_as_flows ? "rings as flows" : "time in closed form");
}

}  // namespace capsim
