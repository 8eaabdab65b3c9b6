// capsim-calibrate: measures this host's GPU and writes a calibration profile (JSON) that capsim
// fits its kernel model to (docs/calibration.md). Exit codes: 0 written, 1 measuring failed,
// 2 bad arguments. No partial profile is ever left behind.
#include <filesystem>
#include <iostream>

#include "BenchmarkGroups.hpp"
#include "BenchmarkPlan.hpp"
#include "CalibrateOptions.hpp"
#include "ProfileWriter.hpp"

int main(int argc, char** argv) {
  using namespace capsim::calibrate;
  CalibrateOptions options;
  try {
    options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& error) {
    std::cerr << "capsim-calibrate: " << error.what() << "\n";
    return 2;
  }
  if (options.help) {
    std::cout << usage_text();
    return 0;
  }
  // Fail before minutes of measuring, not after: the profile's folder must exist.
  const std::filesystem::path folder = std::filesystem::path(options.out).parent_path();
  if (!options.out.empty() && !folder.empty() && !std::filesystem::is_directory(folder)) {
    std::cerr << "capsim-calibrate: --out " << options.out << ": the folder " << folder.string()
              << " does not exist; expected a path in an existing folder\n";
    return 2;
  }
  try {
    const CalibrationRun run = run_benchmarks(options, make_plan(options.quick), std::cerr);
    const std::string path =
        options.out.empty() ? default_profile_name(run.device.name) : options.out;
    write_profile_file(profile_json(run, CAPSIM_VERSION), path);
    std::cerr << "capsim-calibrate: wrote " << path << " (" << run.skipped.size()
              << " skipped or failed entries, listed under \"skipped\")\n";
    std::cout << path << "\n";
  } catch (const std::exception& error) {
    std::cerr << "capsim-calibrate: error: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
