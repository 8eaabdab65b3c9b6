// `capsim validate inference CSV`: published serving runs against the max-throughput engine.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "Commands.hpp"
#include "TextTable.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/PublishedInference.hpp"

namespace capsim::cli {
namespace {

std::string fixed(double value, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string whole(long long value) { return std::to_string(value); }

// Where the predicted run's time goes, and what the engine reached, for the --out CSV.
std::string csv_fields(const PublishedInferenceRun& row, const InferencePrediction& p) {
  const ThroughputRun& r = p.run;
  std::string fields =
      row.id + "," + row.gpu + "," + row.model + "," + inference_precision_name(row.precision) +
      "," + fixed(p.predicted_output_tokens_per_s, "%.6g") + "," +
      fixed(p.measured_output_tokens_per_s, "%.6g") + "," + fixed(p.error, "%.6g") + "," +
      whole(r.settings.max_batch_size) + "," + whole(r.settings.max_num_tokens) + "," +
      whole(r.requests) + "," + whole(r.iterations) + "," + fixed(r.mean_batch, "%.6g") + "," +
      fixed(r.mean_decode_batch, "%.6g") + "," + whole(r.peak_in_flight) + "," +
      whole(r.kv.kv_tokens) + "," + fixed(r.kv.weights_bytes, "%.6g") + "," +
      fixed(r.kv.workspace_bytes, "%.6g") + "," + fixed(r.kv.kv_bytes, "%.6g");
  for (double part :
       {r.time.gemm_s, r.time.prefill_attention_s, r.time.decode_attention_s, r.time.memory_bound_s,
        r.time.tp_comm_s, r.time.logits_s, r.time.pp_comm_s, r.elapsed_s}) {
    fields.append(",").append(fixed(part, "%.6g"));
  }
  return fields + "\n";
}

}  // namespace

int validate_inference_command(const ValidateArgs& args, std::ostream& out) {
  const Catalog catalog = catalog_from(args.catalog_dir);
  const auto rows = load_published_inference_runs(args.csv, catalog);

  TextTable table({"id", "predicted_tok/s", "measured_tok/s", "error_%", "max_batch", "max_tokens",
                   "mean_batch", "peak_in_flight", "kv_tokens"});
  std::string csv =
      "id,gpu,model,precision,predicted_output_tokens_per_s,measured_output_tokens_per_s,error,"
      "max_batch_size,max_num_tokens,requests,iterations,mean_batch,mean_decode_batch,"
      "peak_in_flight,kv_tokens,weights_bytes_per_gpu,workspace_bytes_per_gpu,kv_bytes_per_gpu,"
      "gemm_s,prefill_attention_s,decode_attention_s,memory_bound_s,tp_comm_s,logits_s,"
      "pp_comm_s,elapsed_s\n";
  double sum_abs = 0, worst = -1;
  std::string worst_id;
  int predicted = 0;
  std::vector<std::string> failures;
  for (const auto& row : rows) {
    try {
      const InferencePrediction p = predict_published_inference(row, catalog);
      const ThroughputRun& r = p.run;
      table.add_row({row.id, fixed(p.predicted_output_tokens_per_s, "%.0f"),
                     fixed(p.measured_output_tokens_per_s, "%.0f"), fixed(100 * p.error, "%+.1f"),
                     whole(r.settings.max_batch_size), whole(r.settings.max_num_tokens),
                     fixed(r.mean_batch, "%.0f"), whole(r.peak_in_flight), whole(r.kv.kv_tokens)});
      csv += csv_fields(row, p);
      sum_abs += std::fabs(p.error);
      ++predicted;
      if (std::fabs(p.error) > worst) {
        worst = std::fabs(p.error);
        worst_id = row.id;
      }
    } catch (const ConfigurationError& error) {
      failures.push_back(row.id + ": " + error.what());
    }
  }
  if (!args.out.empty()) write_output_file(args.out, csv);
  table.print(out);
  for (const auto& failure : failures) out << "not predicted: " << failure << "\n";
  if (predicted == 0) {
    out << "no row could be predicted (" << failures.size() << " failed)\n";
    return 1;
  }
  out << "MAPE " << fixed(100 * sum_abs / predicted, "%.1f") << "% worst "
      << fixed(100 * std::max(worst, 0.0), "%.1f") << "% (" << worst_id << ") over " << predicted
      << " rows\n";
  return failures.empty() ? 0 : 1;
}

}  // namespace capsim::cli
