#include "TerminalSummary.hpp"

#include <set>

#include "TextTable.hpp"
#include "capsim/models/CalibrationProfile.hpp"
#include "capsim/models/Units.hpp"
#include "capsim/sim/Report.hpp"

namespace capsim::cli {

void print_summary(const Result& result, std::ostream& out) {
  out << result.scenario_name << " (capsim " << result.capsim_version << ", " << result.fidelity
      << ")\n";
  std::set<std::string> gpus;
  for (const auto& cluster : result.cluster_configs) {
    if (!gpus.insert(cluster.gpu.id).second) continue;
    // A profile's source is one short line; the catalog's is a paragraph, left to the reports'
    // assumptions.
    out << "  kernel figures of " << cluster.gpu.id << ": "
        << (from_calibration_profile(cluster.gpu)
                ? cluster.gpu.kernel_source
                : "catalog defaults (sources in the report's assumptions)")
        << "\n";
  }
  for (std::size_t i = 0; i < result.training.size(); ++i) {
    out << "\n";
    const auto rows = training_headline(result, i);
    TextTable headline({rows.front().label, rows.front().value});
    for (std::size_t r = 1; r < rows.size(); ++r) headline.add_row({rows[r].label, rows[r].value});
    headline.print(out, "  ");
    out << "  where an iteration goes:";
    for (const auto& row : iteration_breakdown(result.training[i])) {
      if (row.seconds > 0) {
        out << " " << row.label << " " << format_quantity(row.share, Quantity::Fraction) << ";";
      }
    }
    out << "\n";
    const std::string placement = placement_of(result, i);
    if (!placement.empty()) out << "  " << placement << "\n";
    if (i < result.simulations.size())
      out << "  " << simulation_line(result.simulations[i]) << "\n";
  }
  for (std::size_t i = 0; i < result.services.size(); ++i) {
    out << "\n";
    const auto rows = service_headline(result, i);
    TextTable headline({rows.front().label, rows.front().value});
    for (std::size_t r = 1; r < rows.size(); ++r) headline.add_row({rows[r].label, rows[r].value});
    headline.print(out, "  ");
  }
  const std::string slow = slow_servers_line(result);
  if (!slow.empty()) out << "  " << slow << "\n";
  for (const auto& target : result.targets) {
    out << "  target " << target.name << " (" << target.workload
        << "): " << format_target_value(target, target.value) << " vs limit "
        << format_target_value(target, target.limit) << (target.met ? " - met" : " - MISSED")
        << "\n";
  }
}

}  // namespace capsim::cli
