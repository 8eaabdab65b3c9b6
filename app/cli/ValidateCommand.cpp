#include <cmath>
#include <cstdio>
#include <map>

#include "Commands.hpp"
#include "TextTable.hpp"
#include "capsim/models/CalibrationProfile.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/LayoutSearch.hpp"
#include "capsim/models/PublishedRuns.hpp"

namespace capsim::cli {
namespace {

std::string fixed(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

struct ErrorSummary {
  double sum_abs = 0;
  double worst = -1;
  std::string worst_id;
  int rows = 0;
  void add(const std::string& id, double error) {
    sum_abs += std::fabs(error);
    ++rows;
    if (std::fabs(error) > worst) {
      worst = std::fabs(error);
      worst_id = id;
    }
  }
  double mape() const { return rows > 0 ? sum_abs / rows : 0; }
};

// Where the predicted iteration goes (the parts sum to predicted_iter_s), to see which part of
// the model a row's error comes from.
std::string breakdown_fields(const TrainingPrediction& p) {
  const IterationBreakdown& b = p.estimate.breakdown;
  std::string fields = recompute_label(p.layout.recompute);
  for (double part : {b.compute_s, b.tp_comm_s, b.cp_comm_s, b.pp_comm_s, b.ep_comm_s, b.dp_comm_s,
                      b.bubble_s, b.optimizer_s}) {
    fields.append(",").append(fixed(part, "%.6g"));
  }
  return fields;
}

// What capsim chose for the row, and where its memory model disagrees with the published run.
std::string notes(const TrainingPrediction& p) {
  std::string text;
  if (p.ep_chosen) text = "ep " + std::to_string(p.layout.ep) + " (chosen)";
  if (!p.fits) {
    if (!text.empty()) text += "; ";
    text +=
        "memory model: " + fixed(p.estimate.memory.total_bytes / (1024.0 * 1024 * 1024), "%.1f") +
        " of " + fixed(p.estimate.memory.capacity_bytes / (1024.0 * 1024 * 1024), "%.1f") + " GiB";
  }
  return text;
}

}  // namespace

int validate_command(const ValidateArgs& args, std::ostream& out) {
  Catalog catalog = catalog_from(args.catalog_dir);
  std::vector<CalibrationChoice> choices;
  for (const auto& text : args.calibration) {
    choices.push_back(parse_calibration_choice(text, "", "--calibration " + text));
  }
  apply_calibrations(catalog, choices);
  for (const auto& [id, gpu] : catalog.gpus) {
    if (from_calibration_profile(gpu)) out << id << ": " << gpu.kernel_source << "\n";
  }
  const auto runs = load_published_training_runs(args.csv);

  TextTable table({"id", "predicted_s", "measured_s", "error_%", "predicted_TFLOP/s",
                   "measured_TFLOP/s", "micro_batch", "notes"});
  std::string csv =
      "id,gpu,predicted_iter_s,measured_iter_s,error,micro_batch,micro_batch_chosen,ep,ep_chosen,"
      "fits,recompute,compute_s,tp_comm_s,cp_comm_s,pp_comm_s,ep_comm_s,dp_comm_s,bubble_s,"
      "optimizer_s\n";
  ErrorSummary all;
  std::map<std::string, ErrorSummary> by_gpu;
  std::vector<std::string> failures;
  for (const auto& run : runs) {
    try {
      const TrainingPrediction p = predict_published_run(run, catalog);
      table.add_row({run.id, fixed(p.predicted_iter_s, "%.3f"), fixed(run.measured_iter_s, "%.3f"),
                     fixed(100 * p.error, "%+.1f"), fixed(p.predicted_tflops_per_gpu, "%.1f"),
                     fixed(run.measured_tflops_per_gpu, "%.1f"),
                     std::to_string(p.micro_batch) + (p.micro_batch_chosen ? " (chosen)" : ""),
                     notes(p)});
      csv += run.id + "," + run.gpu + "," + fixed(p.predicted_iter_s, "%.6g") + "," +
             fixed(run.measured_iter_s, "%.6g") + "," + fixed(p.error, "%.6g") + "," +
             std::to_string(p.micro_batch) + "," + (p.micro_batch_chosen ? "true" : "false") + "," +
             std::to_string(p.layout.ep) + "," + (p.ep_chosen ? "true" : "false") + "," +
             (p.fits ? "true" : "false") + "," + breakdown_fields(p) + "\n";
      all.add(run.id, p.error);
      by_gpu[run.gpu].add(run.id, p.error);
    } catch (const ConfigurationError& error) {
      failures.push_back(run.id + ": " + error.what());
    }
  }
  if (!args.out.empty()) write_output_file(args.out, csv);
  table.print(out);
  for (const auto& failure : failures) out << "not predicted: " << failure << "\n";
  for (const auto& [gpu, summary] : by_gpu) {
    out << gpu << ": MAPE " << fixed(100 * summary.mape(), "%.1f") << "% worst "
        << fixed(100 * summary.worst, "%.1f") << "% (" << summary.worst_id << ") over "
        << summary.rows << " rows\n";
  }
  if (all.rows == 0) {
    out << "no row could be predicted (" << failures.size() << " failed)\n";
    return 1;
  }
  out << "MAPE " << fixed(100 * all.mape(), "%.1f") << "% worst " << fixed(100 * all.worst, "%.1f")
      << "% (" << all.worst_id << ") over " << all.rows << " rows\n";
  return failures.empty() ? 0 : 1;
}

}  // namespace capsim::cli
