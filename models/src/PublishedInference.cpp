#include "capsim/models/PublishedInference.hpp"

#include "CsvRows.hpp"
#include "YamlReader.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace {

using csv::quoted;
using csv::Row;

const char kColumns[] = "the columns of shared/validation/inference_public.csv";

InferencePrecision precision_of(const std::string& name) {
  if (name == "fp8") return InferencePrecision::FP8;
  if (name == "fp4") return InferencePrecision::FP4;
  return InferencePrecision::BF16;
}

PublishedInferenceRun parse_run(const Row& row, int line, const Catalog& catalog) {
  PublishedInferenceRun run;
  run.line = line;
  run.id = row.text("id");
  run.source = row.text("source");
  run.gpu = row.text("gpu");
  if (!catalog.gpus.count(run.gpu)) {
    row.fail("gpu", "unknown GPU id " + quoted(run.gpu),
             "a catalog GPU id (see `capsim catalog gpus`)");
  }
  run.gpus = row.count("gpus");
  run.tp = row.count("tp");
  run.pp = row.count("pp");
  run.model = row.text("model");
  if (!catalog.models.count(run.model)) {
    row.fail("model", "unknown model id " + quoted(run.model),
             "a catalog model id (see `capsim catalog models`)");
  }
  run.precision = precision_of(row.choice("precision", {"bf16", "fp8", "fp4"}));
  run.input_len = row.count("input_len");
  run.output_len = row.count("output_len");
  run.mode = row.choice("mode", {"max-throughput"});
  run.measured_output_tokens_per_s = row.number("measured_output_tokens_per_s");
  if (!(run.measured_output_tokens_per_s > 0)) {
    row.fail("measured_output_tokens_per_s", "is not positive", "tokens per second > 0");
  }
  if (run.gpus != run.tp * run.pp) {
    row.fail("gpus",
             std::to_string(run.gpus) + " is not tp x pp = " + std::to_string(run.tp * run.pp),
             "the GPUs of one instance, tp x pp");
  }
  // What the instance cannot run, at the column that says it.
  try {
    validate_inference_instance(published_inference_instance(run, catalog));
  } catch (const ConfigurationError& error) {
    const std::string message = error.what();
    const char* column = message.find("precision") != std::string::npos ? "precision"
                         : message.find("pp ") != std::string::npos     ? "pp"
                         : message.find("tp") != std::string::npos      ? "tp"
                                                                        : "model";
    row.fail(column, message, "a layout and precision capsim can model");
  }
  return run;
}

}  // namespace

std::vector<PublishedInferenceRun> load_published_inference_runs(const std::string& path,
                                                                 const Catalog& catalog) {
  std::vector<PublishedInferenceRun> runs;
  csv::for_each_row(path, read_text_file(path), kColumns, [&](const Row& row, int line) {
    runs.push_back(parse_run(row, line, catalog));
  });
  return runs;
}

InferenceGpu inference_gpu(const GpuSpec& gpu) {
  InferenceGpu g;
  g.id = gpu.id;
  g.kernels = kernel_parameters(gpu);
  g.memory_bytes = gpu.memory_bytes;
  g.decode_attention_Bps = gpu.decode_attention_Bps > 0
                               ? gpu.decode_attention_Bps
                               : gpu.memory_bandwidth_Bps * gpu.memory_efficiency;
  g.tp_link.bandwidth_Bps = gpu.scaleup_bandwidth_Bps * gpu.scaleup_collective_efficiency;
  g.tp_link.latency_s = gpu.scaleup_latency_s;
  return g;
}

InferenceInstance published_inference_instance(const PublishedInferenceRun& run,
                                               const Catalog& catalog) {
  const auto gpu = catalog.gpus.find(run.gpu);
  const auto model = catalog.models.find(run.model);
  if (gpu == catalog.gpus.end() || model == catalog.models.end()) {
    throw InputError(SourceLocation{run.id, run.line, 0}, "gpu/model", "unknown GPU or model id",
                     "catalog ids");
  }
  InferenceInstance instance;
  instance.model = model_shape(model->second);
  instance.tp = run.tp;
  instance.pp = run.pp;
  instance.precision = run.precision;
  instance.gpu = inference_gpu(gpu->second);
  return instance;
}

InferencePrediction predict_published_inference(const PublishedInferenceRun& run,
                                                const Catalog& catalog) {
  const InferenceInstance instance = published_inference_instance(run, catalog);
  const EngineSettings settings = trtllm_bench_settings(instance, run.input_len, run.output_len);
  InferencePrediction p;
  p.id = run.id;
  p.run = run_max_throughput(instance, settings, run.input_len, run.output_len,
                             trtllm_bench_requests(run.input_len, run.output_len));
  p.predicted_output_tokens_per_s = p.run.output_tokens_per_s;
  p.measured_output_tokens_per_s = run.measured_output_tokens_per_s;
  p.error = p.predicted_output_tokens_per_s / run.measured_output_tokens_per_s - 1;
  return p;
}

}  // namespace capsim
