// Published measurements of real training runs (the format of shared/validation/
// training_public.csv) and capsim's prediction of each, for validation against reality.
//
// A row describes the cluster only by GPU type, GPUs per node and the scale-out NICs; the
// prediction builds the matching catalog fabric (the switch of the NICs' technology and speed,
// non-blocking) and plans the row's exact layout with the same estimate every scenario uses.
// The row's FLOP convention also names its software: `megatron-sc21` is Megatron-LM as in
// Narayanan et al. SC'21 (scores materialized, no sequence parallelism, dropout on, unfused
// gradient accumulation); other rows run the estimate's defaults (fused attention, sequence
// parallelism, no dropout). Blank recompute is selective (full when that does not fit);
// communication is not overlapped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// One published training run. Optional values are blank in the source.
struct PublishedTrainingRun {
  std::string id, source;
  std::string gpu;  ///< catalog GPU id
  int gpus = 0, gpus_per_node = 0, nics_per_node = 0;
  double nic_Bps = 0;  ///< per NIC
  std::string fabric;  ///< "ib" or "roce"
  int layers = 0, hidden = 0;
  std::optional<int> heads, kv_heads;
  int ffn_hidden = 0, vocab = 0, seq_len = 0;
  int moe_experts = 0, moe_topk = 0;
  int global_batch = 0;
  std::optional<int> micro_batch;
  int tp = 1, pp = 1, dp = 1, cp = 1, vpp = 1;
  /// Expert parallel: an optional `ep` column, not in the published format. Blank or absent for
  /// a mixture of experts: capsim chooses (predict_published_run); 1 for a dense model.
  std::optional<int> ep;
  int zero_stage = 0;
  std::optional<std::string> recompute;  ///< none, selective, full
  std::string precision;                 ///< bf16, fp8
  std::string flops_formula;             ///< megatron-sc21, megatron-core, 6nd
  double measured_tflops_per_gpu = 0;
  double measured_iter_s = 0;
  int line = 0;  ///< line in the file, for messages
};

/// Reads a CSV in the training_public.csv format. Throws InputError naming the file, line and
/// column for a missing column, a malformed number or an unknown value.
std::vector<PublishedTrainingRun> load_published_training_runs(const std::string& path);

/// capsim's prediction of one run.
struct TrainingPrediction {
  std::string id;
  double predicted_iter_s = 0;
  double measured_iter_s = 0;
  double error = 0;                     ///< predicted / measured - 1
  double predicted_tflops_per_gpu = 0;  ///< under the row's own FLOP convention
  int micro_batch = 0;                  ///< the one used (chosen when the row leaves it blank)
  bool micro_batch_chosen = false;
  bool ep_chosen = false;  ///< the row left the expert-parallel size to capsim
  /// The memory model's verdict on the published layout. A run that happened did fit; false
  /// means capsim's memory model overestimates it (the time is predicted all the same).
  bool fits = true;
  TrainingLayout layout;  ///< the layout predicted, with the chosen micro-batch and recompute
  ModelShape model;       ///< the estimate's shape of the row's model
  GpuPerformance gpu;     ///< the row's GPU at its precision
  TrainingEstimate estimate;
};

/// The cluster a row describes: its catalog GPU and NIC, whole nodes, and a non-blocking fabric
/// of the NICs' technology and speed (single switch, rail-optimized or 3-tier Clos, whichever is
/// the smallest that connects them). The cluster predict_published_run plans on. Throws
/// InputError for an unknown GPU, ConfigurationError for GPUs that are not whole nodes.
ClusterConfig published_run_cluster(const PublishedTrainingRun& run, const Catalog& catalog);

/// Predicts one run with the catalog's hardware: its published layout, what a practitioner would
/// pick where the row is blank (micro-batch, recompute, expert parallelism; see the .cpp), even
/// where capsim's memory model says the layout does not fit (TrainingPrediction::fits). Throws
/// ConfigurationError (naming the row) for a layout that cannot run, InputError for an unknown
/// GPU.
TrainingPrediction predict_published_run(const PublishedTrainingRun& run, const Catalog& catalog);

/// FLOPs of one iteration under a published convention ("megatron-sc21", "megatron-core",
/// "6nd"), for converting between iteration time and TFLOP/s per GPU. For mixture-of-experts
/// rows megatron-core routes each token to moe_topk experts and 6nd counts the active
/// parameters (those one token uses).
double published_flops_per_iteration(const PublishedTrainingRun& run);

}  // namespace capsim
