#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include "Commands.hpp"
#include "ProgressBar.hpp"
#include "TerminalSummary.hpp"
#include "capsim/models/Catalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/sim/ChromeTrace.hpp"
#include "capsim/sim/Report.hpp"
#include "capsim/sim/Run.hpp"

namespace capsim::cli {
namespace {

// Runs the scenario, naming the file in a configuration error so the user knows which one.
Result run_named(const Scenario& scenario, const RunOptions& options,
                 const ProgressCallback& progress = {}) {
  try {
    return run(scenario, options, progress);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError(scenario.source_file + ": " + error.what());
  }
}

// The trace goes to FILE.partial first and is renamed once the reports are written too, so a
// failed run leaves neither.
class TraceFile {
 public:
  TraceFile(const Result& result, std::string path) : path_(std::move(path)) {
    std::vector<std::string> names;
    for (const auto& workload : result.workloads) names.push_back(workload.name);
    std::ofstream out(partial());
    if (!out) fail("cannot create " + partial().string());
    write_chrome_trace(result.trace, names, out);
    out.close();
    if (!out) fail("cannot write " + partial().string());
  }
  ~TraceFile() {
    std::error_code ignored;
    if (!kept_) std::filesystem::remove(partial(), ignored);
  }
  void keep() {
    std::error_code error;
    std::filesystem::rename(partial(), path_, error);
    if (error)
      fail("cannot rename " + partial().string() + " to " + path_ + ": " + error.message());
    kept_ = true;
  }

 private:
  std::filesystem::path partial() const { return std::filesystem::path(path_ + ".partial"); }
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(SourceLocation{"--trace " + path_, 0, 0}, "", what,
                     "a file path capsim can create and write");
  }

  std::string path_;
  bool kept_ = false;
};

}  // namespace

int run_command(const RunArgs& args, std::ostream& out, std::ostream& err) {
  const auto formats = parse_report_formats(args.formats);
  const Scenario scenario = scenario_from(args);
  RunOptions options;
  options.seed = args.seed;
  options.fidelity = args.fidelity;
  options.trace = !args.trace_file.empty();
  ProgressBar bar(err, args.progress || stderr_is_terminal());
  Result result;
  try {
    result = run_named(scenario, options, [&bar](double fraction, const std::string& stage) {
      bar.update(fraction, stage);
    });
  } catch (...) {
    bar.finish();
    throw;
  }
  bar.finish();

  const std::string out_dir =
      args.out_dir.empty()
          ? (std::filesystem::path("out") / std::filesystem::path(args.scenario).stem()).string()
          : args.out_dir;
  std::optional<TraceFile> trace;
  if (options.trace) trace.emplace(result, args.trace_file);
  std::vector<std::string> written;
  try {
    written = write_reports(result, out_dir, formats);
  } catch (const std::runtime_error& error) {  // a folder we may not create or write
    throw InputError(SourceLocation{"--out " + out_dir, 0, 0}, "", error.what(),
                     "a folder capsim can create and write");
  }
  if (trace) trace->keep();
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
  const std::size_t workloads = scenario.training.size() + scenario.services.size();
  out << scenario.source_file << ": ok (" << scenario.clusters.size() << " cluster"
      << (scenario.clusters.size() == 1 ? "" : "s") << ", " << workloads << " workload"
      << (workloads == 1 ? "" : "s") << ")\n";
  return 0;
}

}  // namespace capsim::cli
