// simulation_line(): the one line the terminal summary and summary.md show per simulated workload.
#include <cstdio>

#include "capsim/models/Units.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim {

std::string simulation_line(const SimulationOutcome& outcome) {
  if (!outcome.simulated) return std::string("not simulated: ").append(outcome.reason);
  char percent[32];
  std::snprintf(percent, sizeof percent, "%+.1f%%", 100 * outcome.relative_difference());
  auto time = [](double seconds) { return format_quantity(seconds, Quantity::Time); };
  const IterationStats& s = outcome.stats;
  std::string line = s.count > 1 ? std::string("simulated iteration, mean of ")
                                       .append(std::to_string(s.count))
                                       .append(", ")
                                 : std::string("simulated iteration ");
  line.append(time(outcome.iteration_s))
      .append(" (estimate ")
      .append(time(outcome.estimate_iteration_s))
      .append(", ")
      .append(percent)
      .append("); data-parallel ")
      .append(outcome.dp_comm_as_flows ? "rings as flows" : "time in closed form");
  if (s.count > 1) {
    line.append("; p50 ")
        .append(time(s.p50_s))
        .append(", p90 ")
        .append(time(s.p90_s))
        .append(", p99 ")
        .append(time(s.p99_s))
        .append(", min ")
        .append(time(s.min_s))
        .append(", max ")
        .append(time(s.max_s));
  }
  if (!outcome.shared_with.empty()) {
    std::string names;
    for (const std::string& name : outcome.shared_with)
      names.append(names.empty() ? "" : ", ").append(name);
    char slowdown[32];
    std::snprintf(slowdown, sizeof slowdown, "%+.1f%%", 100 * outcome.contention_slowdown());
    line.append("; sharing the fabric with ")
        .append(names)
        .append(": ")
        .append(slowdown)
        .append(" against alone (")
        .append(time(outcome.alone_iteration_s))
        .append(")");
  }
  return line;
}

std::string placement_line(const std::vector<int>& servers, const std::string& policy) {
  std::string ranges;
  for (std::size_t i = 0; i < servers.size();) {
    std::size_t j = i;
    while (j + 1 < servers.size() && servers[j + 1] == servers[j] + 1) ++j;
    ranges.append(ranges.empty() ? "" : ", ").append(std::to_string(servers[i]));
    if (j > i) ranges.append("-").append(std::to_string(servers[j]));
    i = j + 1;
  }
  return std::string("runs on servers ").append(ranges).append(" (").append(policy).append(")");
}

std::string placement_of(const Result& result, std::size_t index) {
  if (index >= result.placements.size() || result.placements[index].empty()) return {};
  for (const ClusterConfig& cluster : result.cluster_configs)
    if (cluster.name == result.workloads.at(index).cluster)
      return placement_line(result.placements[index], cluster.placement);
  return {};
}

std::string slow_servers_line(const Result& result) {
  std::string line;
  for (std::size_t c = 0; c < result.slow_servers.size(); ++c) {
    if (result.slow_servers[c].empty()) continue;
    line.append(line.empty() ? "slow servers drawn (run.variability): " : "; ")
        .append(result.cluster_configs.at(c).name)
        .append(" ");
    for (std::size_t i = 0; i < result.slow_servers[c].size(); ++i)
      line.append(i ? ", " : "").append(std::to_string(result.slow_servers[c][i]));
  }
  return line;
}

}  // namespace capsim
