// capsim: run scenario files headlessly, check them, browse the catalog, compare results,
// validate against published runs, search layouts and handle calibration profiles.
#include <CLI/CLI.hpp>
#include <iostream>

#include "Commands.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/sim/Run.hpp"

namespace {

constexpr int kExitBadInput = 2;
constexpr int kExitInternal = 3;

void add_scenario_options(CLI::App& command, capsim::cli::ScenarioArgs& args) {
  command.add_option("SCENARIO", args.scenario, "Scenario file (YAML)")->required();
  command.add_option("--set", args.settings,
                     "Override a scenario key, e.g. --set workloads[0].tokens=2T (repeatable)");
  command.add_option("--catalog", args.catalog_dir,
                     "Catalog folder (default: $CAPSIM_CATALOG_DIR or the built-in catalog)");
  command.add_option("--calibration", args.calibration,
                     "Calibration profile for the GPU type it was measured on, or GPU_ID=PROFILE "
                     "to apply it to that type whatever the device (repeatable; replaces the "
                     "scenario's run.calibration for that type)");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace capsim::cli;
  CLI::App app{"capsim: capacity planning for AI infrastructure"};
  app.set_version_flag("--version", "capsim " + capsim::capsim_version());
  app.require_subcommand(1);

  RunArgs run_args;
  auto* run = app.add_subcommand("run", "Run a scenario, write reports and print a summary");
  add_scenario_options(*run, run_args);
  run->add_option("--out", run_args.out_dir,
                  "Report folder (default: out/<scenario file name without extension>)");
  run->add_option("--format", run_args.formats, "Reports to write: json,md,html,csv (default all)");
  run->add_option("--seed", run_args.seed, "Random seed (replaces run.seed)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--fidelity", run_args.fidelity,
                  "estimate: closed form; simulate: also play run.iterations iterations out in "
                  "SimGrid (replaces run.fidelity)")
      ->check(CLI::IsMember({"estimate", "simulate"}));
  run->add_flag("--quiet", run_args.quiet, "Print only the report paths");
  run->add_option("--trace", run_args.trace_file,
                  "Write the simulated timeline to this file in the Chrome trace event format "
                  "(Perfetto, chrome://tracing); needs fidelity simulate");
  run->add_flag("--progress", run_args.progress,
                "Draw the progress bar on stderr even when it is not a terminal (it is drawn "
                "on a terminal for runs longer than a second)");

  ScenarioArgs check_args;
  auto* check = app.add_subcommand("check", "Validate a scenario without running it");
  add_scenario_options(*check, check_args);

  CatalogArgs catalog_args;
  auto* catalog = app.add_subcommand("catalog", "List catalog entries, or show one");
  catalog->add_option("KIND", catalog_args.kind,
                      "gpus, servers, nics, switches, optics, storage, models, cloud_prices, "
                      "economics");
  catalog->add_option("ID", catalog_args.id, "Entry id to show in full");
  catalog->add_option("--catalog", catalog_args.catalog_dir, "Catalog folder");
  catalog->add_flag("--json", catalog_args.json, "Print JSON instead of a table");

  CompareArgs compare_args;
  auto* compare = app.add_subcommand("compare", "Compare result.json files side by side");
  compare->add_option("RESULTS", compare_args.results, "result.json files or report folders")
      ->required()
      ->expected(1, -1);
  compare->add_option("--format", compare_args.format, "table (default), md or html")
      ->check(CLI::IsMember({"table", "md", "html"}));
  compare->add_option("--out", compare_args.out, "Write the comparison here instead of stdout");

  ValidateArgs validate_args;
  auto* validate =
      app.add_subcommand("validate", "Compare predictions with published measurements");
  auto* validate_training =
      validate->add_subcommand("training", "Predict each published training run's iteration time");
  validate->require_subcommand(1);
  validate_training
      ->add_option("CSV", validate_args.csv,
                   "Runs in the format of shared/validation/training_public.csv")
      ->required();
  validate_training->add_option("--out", validate_args.out, "Also write the table as CSV here");
  validate_training->add_option("--catalog", validate_args.catalog_dir, "Catalog folder");
  validate_training->add_option("--calibration", validate_args.calibration,
                                "Calibration profile replacing the catalog's kernel figures of "
                                "the GPU type it was measured on, or GPU_ID=PROFILE (repeatable)");

  CalibrateArgs calibrate_args;
  auto* calibrate = app.add_subcommand("calibrate", "Make, fit and check calibration profiles");
  calibrate->require_subcommand(1);
  auto* calibrate_import = calibrate->add_subcommand(
      "import", "Convert a GPU's CSV measurements (shared/calibration) into a profile");
  calibrate_import
      ->add_option("CSV", calibrate_args.inputs, "CUBLAS_SWEEP.csv TORCH_ATTENTION_POWER.csv")
      ->required()
      ->expected(2);
  calibrate_import->add_option("--out", calibrate_args.out, "Profile to write")->required();
  calibrate_import->add_option("--date", calibrate_args.date, "When the CSVs were measured")
      ->required();
  auto* calibrate_fit = calibrate->add_subcommand(
      "fit", "Fit the kernel model to a profile and show it beside the catalog's figures");
  calibrate_fit->add_option("PROFILE", calibrate_args.inputs, "Calibration profile (JSON)")
      ->required()
      ->expected(1);
  calibrate_fit->add_option("--out", calibrate_args.out, "Also write the fitted figures (JSON)");
  auto* calibrate_check = calibrate->add_subcommand(
      "check", "Compare a profile's bf16 8192^3 GEMM and largest copy with a reference sweep");
  calibrate_check->add_option("PROFILE", calibrate_args.inputs, "Calibration profile (JSON)")
      ->required()
      ->expected(1);
  calibrate_check
      ->add_option("--reference", calibrate_args.reference,
                   "*.cublas-sweep.csv of the same GPU (shared/calibration)")
      ->required();
  calibrate_check
      ->add_option("--tolerance", calibrate_args.tolerance,
                   "Largest accepted |profile / reference - 1| (default 0.05)")
      ->check(CLI::Range(0.0, 1.0));
  for (auto* command : {calibrate_import, calibrate_fit}) {
    command->add_option("--gpu", calibrate_args.gpu,
                        "Catalog GPU whose peaks the fit uses (default: the one the device "
                        "name matches)");
    command->add_option("--catalog", calibrate_args.catalog_dir, "Catalog folder");
  }
  auto* validate_inference = validate->add_subcommand(
      "inference", "Predict each published serving run's output tokens per second");
  validate_inference
      ->add_option("CSV", validate_args.csv,
                   "Runs in the format of shared/validation/inference_public.csv")
      ->required();
  validate_inference->add_option("--out", validate_args.out, "Also write the table as CSV here");
  validate_inference->add_option("--catalog", validate_args.catalog_dir, "Catalog folder");

  SearchArgs search_args;
  auto* search = app.add_subcommand(
      "search",
      "Rank the parallel layouts of a training workload, or the hardware and replicas of an "
      "inference service");
  add_scenario_options(*search, search_args);
  search->add_option(
      "--workload", search_args.workload,
      "Workload to search (default: the first training workload, else the first service)");
  search
      ->add_option("--objective", search_args.objective,
                   "time (default): iteration time; cost: the run's cost at the scenario's owned "
                   "or rented $/h. On one cluster both give the same order in this version (its "
                   "hourly cost does not depend on the layout)")
      ->check(CLI::IsMember({"time", "cost"}));
  search->add_option("--top", search_args.top, "Layouts to list (default 10)")
      ->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& done) {
    return app.exit(done);  // --help, --version
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitBadInput;
  }

  try {
    if (*run) return run_command(run_args, std::cout, std::cerr);
    if (*check) return check_command(check_args, std::cout);
    if (*catalog) return catalog_command(catalog_args, std::cout);
    if (*compare) return compare_command(compare_args, std::cout);
    if (*validate_training) return validate_command(validate_args, std::cout);
    if (*validate_inference) return validate_inference_command(validate_args, std::cout);
    if (*search) return search_command(search_args, std::cout);
    if (*calibrate_import) return calibrate_import_command(calibrate_args, std::cout);
    if (*calibrate_fit) return calibrate_fit_command(calibrate_args, std::cout);
    if (*calibrate_check) return calibrate_check_command(calibrate_args, std::cout);
  } catch (const capsim::InputError& error) {
    std::cerr << "error: " << error.what() << "\n";
    return kExitBadInput;
  } catch (const capsim::ConfigurationError& error) {
    std::cerr << "error: " << error.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& error) {
    std::cerr << "internal error: " << error.what() << "\n";
    return kExitInternal;
  }
  return kExitBadInput;
}
