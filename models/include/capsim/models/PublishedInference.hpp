// Published serving measurements (the format of shared/validation/inference_public.csv) and
// capsim's prediction of each: the row's instance (catalog GPU and model, tp, precision) run
// through the max-throughput engine (InferenceEngine.hpp) with trtllm-bench's settings and
// request count for the row's lengths.
#pragma once

#include <string>
#include <vector>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/InferenceEngine.hpp"

namespace capsim {

/// One published serving measurement.
struct PublishedInferenceRun {
  std::string id, source;
  std::string gpu;  ///< catalog GPU id
  int gpus = 0, tp = 1, pp = 1;
  std::string model;  ///< catalog model id
  InferencePrecision precision = InferencePrecision::BF16;
  int input_len = 0, output_len = 0;
  std::string mode;  ///< "max-throughput"
  double measured_output_tokens_per_s = 0;
  int line = 0;  ///< in the file, for messages
};

/// Reads a CSV in the inference_public.csv format and checks every row against the catalog
/// (known GPU and model, gpus = tp x pp, a layout and precision the model can run). Throws
/// InputError naming the file, line and column of the first bad value.
std::vector<PublishedInferenceRun> load_published_inference_runs(const std::string& path,
                                                                 const Catalog& catalog);

/// A catalog GPU as a serving instance sees it: its kernel model, memory, fitted decode-
/// attention rate (the achieved copy bandwidth where none was fitted) and the NCCL-efficiency
/// scale-up link.
InferenceGpu inference_gpu(const GpuSpec& gpu);

/// The row's serving instance. Throws InputError for an unknown GPU or model id.
InferenceInstance published_inference_instance(const PublishedInferenceRun& run,
                                               const Catalog& catalog);

/// capsim's prediction of one row.
struct InferencePrediction {
  std::string id;
  double predicted_output_tokens_per_s = 0;
  double measured_output_tokens_per_s = 0;
  double error = 0;  ///< predicted / measured - 1
  ThroughputRun run;
};

/// Predicts one row (see the top of this file).
InferencePrediction predict_published_inference(const PublishedInferenceRun& run,
                                                const Catalog& catalog);

}  // namespace capsim
