#include <filesystem>

#include "Commands.hpp"
#include "TerminalSummary.hpp"
#include "capsim/models/Catalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/sim/Report.hpp"
#include "capsim/sim/Run.hpp"

namespace capsim::cli {
namespace {

// Runs the scenario, naming the file in a configuration error so the user knows which one.
Result run_named(const Scenario& scenario, const RunOptions& options) {
  try {
    return run(scenario, options);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError(scenario.source_file + ": " + error.what());
  }
}

}  // namespace

int run_command(const RunArgs& args, std::ostream& out) {
  const auto formats = parse_report_formats(args.formats);
  const Scenario scenario = scenario_from(args);
  RunOptions options;
  options.seed = args.seed;
  options.fidelity = args.fidelity;
  const Result result = run_named(scenario, options);

  const std::string out_dir =
      args.out_dir.empty()
          ? (std::filesystem::path("out") / std::filesystem::path(args.scenario).stem()).string()
          : args.out_dir;
  std::vector<std::string> written;
  try {
    written = write_reports(result, out_dir, formats);
  } catch (const std::runtime_error& error) {  // a folder we may not create or write
    throw InputError(SourceLocation{"--out " + out_dir, 0, 0}, "", error.what(),
                     "a folder capsim can create and write");
  }
  if (!args.quiet) print_summary(result, out);
  out << "Reports in " << out_dir << ":";
  for (const auto& path : written) out << " " << std::filesystem::path(path).filename().string();
  out << "\n";
  if (!result.targets_met()) {
    out << "Targets missed (exit code 1).\n";
    return 1;
  }
  return 0;
}

int check_command(const ScenarioArgs& args, std::ostream& out) {
  const Scenario scenario = scenario_from(args);
  RunOptions options;
  options.fidelity = "estimate";  // builds the topologies and checks every layout, no simulation
  run_named(scenario, options);
  out << scenario.source_file << ": ok (" << scenario.clusters.size() << " cluster"
      << (scenario.clusters.size() == 1 ? "" : "s") << ", " << scenario.training.size()
      << " workload" << (scenario.training.size() == 1 ? "" : "s") << ")\n";
  return 0;
}

}  // namespace capsim::cli
