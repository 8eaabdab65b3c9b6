// The `capsim` subcommands. Each returns the process exit code: 0 ok, 1 the scenario's targets
// are missed, 2 bad input or usage. They throw InputError / ConfigurationError for bad input;
// main() prints those and exits with 2.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim::cli {

struct ScenarioArgs {
  std::string scenario;
  std::vector<std::string> settings;     ///< --set key=value
  std::string catalog_dir;               ///< empty = default_catalog_dir()
  std::vector<std::string> calibration;  ///< --calibration PROFILE or GPU_ID=PROFILE
};

/// The catalog in `catalog_dir`, or the default one when it is empty.
Catalog catalog_from(const std::string& catalog_dir);
/// The scenario the arguments name, with their --set overrides and --calibration profiles
/// applied (a --calibration replaces the scenario's profile for the same GPU type).
Scenario scenario_from(const ScenarioArgs& args);

struct RunArgs : ScenarioArgs {
  std::string out_dir;  ///< empty = out/<scenario file stem>
  std::string formats = "json,md,html,csv";
  std::optional<std::uint64_t> seed;
  std::optional<std::string> fidelity;  ///< replaces run.fidelity when given
  bool quiet = false;
  std::string trace_file;  ///< --trace: Chrome trace of the simulation; empty = none
  bool progress = false;   ///< --progress: draw the progress bar even when stderr is no terminal
};

/// Runs the scenario; progress goes to `err` as a bar (ProgressBar.hpp).
int run_command(const RunArgs& args, std::ostream& out, std::ostream& err);
int check_command(const ScenarioArgs& args, std::ostream& out);

struct CatalogArgs {
  std::string kind;
  std::string id;
  std::string catalog_dir;
  bool json = false;
};
int catalog_command(const CatalogArgs& args, std::ostream& out);

struct CompareArgs {
  std::vector<std::string> results;  ///< result.json files (or folders holding one)
  std::string format = "table";      ///< "table", "md" or "html"
  std::string out;                   ///< write here instead of stdout
};
/// Prints (or writes to args.out) the comparison; 0 when every result met its targets, 1 when
/// one missed a target.
int compare_command(const CompareArgs& args, std::ostream& out);

struct ValidateArgs {
  std::string csv;  ///< published runs in the format of shared/validation/training_public.csv
  std::string out;  ///< optional CSV of the per-row table
  std::string catalog_dir;
  std::vector<std::string> calibration;  ///< --calibration PROFILE or GPU_ID=PROFILE
};
/// Writes `text` to the file an --out option named; InputError when it cannot.
void write_output_file(const std::string& path, const std::string& text);

/// Exit 1 when a row could not be predicted (the others are still reported).
int validate_command(const ValidateArgs& args, std::ostream& out);
/// The same for serving rows (shared/validation/inference_public.csv): output tokens per second.
int validate_inference_command(const ValidateArgs& args, std::ostream& out);

struct SearchArgs : ScenarioArgs {
  std::string workload;  ///< workload name; empty = the first training one, else the first service
  std::string objective = "time";  ///< "time" or "cost"
  int top = 10;                    ///< rows of the table
};
/// Ranks the layouts of one training workload on its cluster (or, for a service, calls
/// service_search_command); 0 also when none fits.
int search_command(const SearchArgs& args, std::ostream& out);
/// Ranks the hardware, tp and replica counts of one inference service by cost among those that
/// meet its SLOs (each count simulated in a child process); 0 also when none meets them.
int service_search_command(const Scenario& scenario, const InferenceService& service,
                           const SearchArgs& args, std::ostream& out);

struct CalibrateArgs {
  std::vector<std::string> inputs;  ///< import: CUBLAS_CSV ATTENTION_CSV; fit, check: PROFILE
  std::string out;                  ///< import: the profile; fit: the fitted section (optional)
  std::string gpu;                  ///< catalog GPU whose peaks the fit uses; empty = by device
  std::string date;                 ///< import: when the CSVs were measured
  std::string reference;            ///< check: a *.cublas-sweep.csv of the same GPU
  double tolerance = 0.05;          ///< check: largest |profile / reference - 1| accepted
  std::string catalog_dir;
};
/// Converts CSV measurements into a profile (exit 0).
int calibrate_import_command(const CalibrateArgs& args, std::ostream& out);
/// Prints the fit of a profile beside the catalog's figures (exit 0).
int calibrate_fit_command(const CalibrateArgs& args, std::ostream& out);
/// Compares a profile's bf16 8192^3 GEMM and largest copy with a reference sweep: exit 1 when
/// either differs by more than the tolerance or is missing.
int calibrate_check_command(const CalibrateArgs& args, std::ostream& out);

}  // namespace capsim::cli
