// Iteration time of one training step: per-micro-batch compute and communication on the
// bottleneck pipeline stage, the 1F1B schedule around it, then the data-parallel reduction and
// the optimizer step. The assumptions are listed in TrainingEstimate.hpp.
#include "capsim/models/TrainingEstimate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "capsim/models/Collectives.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {

namespace {

void check_link(const char* group, int size, const CommLink& link) {
  if (size == 1) return;  // a group of one never communicates
  char text[256];
  if (!(link.bandwidth_Bps > 0.0) || !std::isfinite(link.bandwidth_Bps)) {
    std::snprintf(text, sizeof text,
                  "network: the %s link has bandwidth %g B/s; expected a finite, positive "
                  "bandwidth for a %s group of %d GPUs",
                  group, link.bandwidth_Bps, group, size);
    throw ConfigurationError(text);
  }
  if (!(link.latency_s >= 0.0) || !std::isfinite(link.latency_s)) {
    std::snprintf(text, sizeof text,
                  "network: the %s link has latency %g s; expected a finite, non-negative "
                  "latency for a %s group of %d GPUs",
                  group, link.latency_s, group, size);
    throw ConfigurationError(text);
  }
}

// Per micro-batch on 0-based pipeline `stage` (its stage_layer_count layers, plus the logits on
// the last stage), per GPU.
MicroBatchTimes micro_batch_times(const ModelShape& model, const TrainingLayout& layout,
                                  const GpuPerformance& gpu, const CommPaths& comm,
                                  const TrainingFlops& flops, int stage) {
  const int stage_layers = stage_layer_count(model, layout.pp, stage);
  const double layers = stage_layers;
  const double logits_per_token = stage == layout.pp - 1 ? flops.logits_forward_per_token : 0.0;
  const double tokens = static_cast<double>(layout.micro_batch) * layout.seq_len;
  const double local_tokens =
      static_cast<double>(layout.micro_batch) * (layout.seq_len / layout.cp);
  const double kv_dim = static_cast<double>(model.kv_heads) * (model.hidden / model.heads);
  const bool full = layout.recompute == Recompute::Full;

  // Compute: the tp x cp group shares the micro-batch's work evenly.
  const double forward_flops =
      layers * flops.layer_forward_per_token * tokens + logits_per_token * tokens;
  double recompute_flops = 0.0;
  if (layout.recompute == Recompute::Selective) {
    recompute_flops = layers * flops.attention_scores_forward_per_token * tokens;
  } else if (full) {
    recompute_flops = layers * flops.layer_forward_per_token * tokens;
  }
  const double gpu_rate = gpu.peak_flop_per_s * gpu.matmul_efficiency * layout.tp * layout.cp;

  MicroBatchTimes t;
  t.stage = stage;
  t.layers = stage_layers;
  t.compute_forward_s = forward_flops / gpu_rate;
  t.compute_backward_s = (2.0 * forward_flops + recompute_flops) / gpu_rate;

  // Tensor parallelism with sequence parallelism: per layer, forward all-gathers before the
  // attention and MLP blocks and reduce-scatters after them, each on the full b x s/cp x h
  // activation; backward mirrors them. Full recompute replays the forward's.
  const double tp_bytes = local_tokens * model.hidden * kActivationBytes;
  const double tp_layer_s = 2.0 * all_gather_s(tp_bytes, layout.tp, comm.tp) +
                            2.0 * reduce_scatter_s(tp_bytes, layout.tp, comm.tp);
  t.tp_forward_s = layers * tp_layer_s;
  t.tp_backward_s = layers * tp_layer_s * (full ? 2.0 : 1.0);

  // Context parallelism: ring attention passes this rank's K and V chunk (cp - 1) steps around
  // the ring per layer; backward passes K, V and their gradients (2x). Not overlapped with the
  // attention compute in this form.
  if (layout.cp > 1) {
    const double cp_bytes = local_tokens * 2.0 * kv_dim / layout.tp * kActivationBytes;
    const double cp_layer_s = (layout.cp - 1) * point_to_point_s(cp_bytes, comm.cp);
    t.cp_forward_s = layers * cp_layer_s;
    t.cp_backward_s = layers * cp_layer_s * (full ? 3.0 : 2.0);
  }

  // Pipeline: one activation send forward and one gradient send backward per micro-batch.
  // Megatron's scatter-gather optimisation (implied by sequence parallelism) has each TP rank
  // send its 1/tp share over its own path.
  if (layout.pp > 1) {
    const double pp_bytes = local_tokens * model.hidden * kActivationBytes / layout.tp;
    t.pp_forward_s = point_to_point_s(pp_bytes, comm.pp);
    t.pp_backward_s = point_to_point_s(pp_bytes, comm.pp);
  }

  t.forward_s = t.compute_forward_s + t.tp_forward_s + t.cp_forward_s + t.pp_forward_s;
  t.backward_s = t.compute_backward_s + t.tp_backward_s + t.cp_backward_s + t.pp_backward_s;
  return t;
}

// The bottleneck stage: the largest micro-batch slot (forward + backward), the first on a tie.
// With an even split the last stage wins (same layers plus the logits); with an uneven one a
// stage of ceil(l / pp) layers may beat a last stage of one layer fewer plus the logits.
MicroBatchTimes bottleneck_times(const ModelShape& model, const TrainingLayout& layout,
                                 const GpuPerformance& gpu, const CommPaths& comm,
                                 const TrainingFlops& flops) {
  MicroBatchTimes slowest = micro_batch_times(model, layout, gpu, comm, flops, 0);
  for (int stage = 1; stage < layout.pp; ++stage) {
    const MicroBatchTimes t = micro_batch_times(model, layout, gpu, comm, flops, stage);
    if (t.forward_s + t.backward_s > slowest.forward_s + slowest.backward_s) slowest = t;
  }
  return slowest;
}

// Data-parallel collectives of one iteration on the largest stage, over the dp link, bytes of the
// local (tp-sharded) parameters. ZeRO-2 and ZeRO-3 keep only 1/dp of the gradients, so they must
// reduce-scatter after every micro-batch's backward (as DeepSpeed does); ZeRO-3 also gathers the
// weights before each forward and each backward and needs no gather after the step.
double dp_comm_s(const TrainingLayout& layout, const CommPaths& comm, double local_params,
                 int micro_batches) {
  const double grad_bytes = local_params * kGradReduceBytesPerParam;
  const double weight_bytes = local_params * kWeightBytesPerParam;
  const double m = micro_batches;
  const double scatter = reduce_scatter_s(grad_bytes, layout.dp, comm.dp);
  const double gather = all_gather_s(weight_bytes, layout.dp, comm.dp);
  switch (layout.zero_stage) {
    case 0:
      return ring_all_reduce_s(grad_bytes, layout.dp, comm.dp);
    case 1:
      return scatter + gather;
    case 2:
      return m * scatter + gather;
    default:
      return m * (scatter + 2.0 * gather);
  }
}

}  // namespace

TrainingEstimate estimate_training(const ModelShape& model, const TrainingLayout& layout,
                                   const GpuPerformance& gpu, const CommPaths& comm,
                                   int total_gpus) {
  validate_training_inputs(model, layout, gpu, total_gpus);
  check_link("tp", layout.tp, comm.tp);
  check_link("pp", layout.pp, comm.pp);
  check_link("dp", layout.dp, comm.dp);
  check_link("cp", layout.cp, comm.cp);

  TrainingEstimate e;
  e.parameters = count_parameters(model);
  e.flops = count_training_flops(model, layout);
  e.micro_batches = layout.global_batch / (layout.dp * layout.micro_batch);
  double largest_stage = 0.0;  // every stage: with an uneven split an inner one can be largest
  for (int stage = 0; stage < layout.pp; ++stage) {
    largest_stage = std::max(largest_stage, stage_parameter_count(model, layout.pp, stage));
  }
  e.stage_parameters = largest_stage / layout.tp;
  e.micro_batch = bottleneck_times(model, layout, gpu, comm, e.flops);

  const MicroBatchTimes& t = e.micro_batch;
  const double m = e.micro_batches;
  IterationBreakdown& b = e.breakdown;
  b.compute_s = m * (t.compute_forward_s + t.compute_backward_s);
  b.tp_comm_s = m * (t.tp_forward_s + t.tp_backward_s);
  b.cp_comm_s = m * (t.cp_forward_s + t.cp_backward_s);
  b.pp_comm_s = m * (t.pp_forward_s + t.pp_backward_s);
  b.bubble_s = (layout.pp - 1) * (t.forward_s + t.backward_s);
  e.dp_comm_total_s = dp_comm_s(layout, comm, e.stage_parameters, e.micro_batches);
  b.dp_comm_s = e.dp_comm_total_s;  // nothing hidden behind the backward yet

  const double owned_params = e.stage_parameters / (layout.zero_stage >= 1 ? layout.dp : 1);
  b.optimizer_s = owned_params * kAdamStepBytesPerParam / gpu.memory_bandwidth_Bps;

  e.iteration_s = b.compute_s + b.tp_comm_s + b.cp_comm_s + b.pp_comm_s + b.bubble_s + b.dp_comm_s +
                  b.optimizer_s;
  e.tokens_per_s = static_cast<double>(layout.global_batch) * layout.seq_len / e.iteration_s;
  const double peak_flop = e.iteration_s * total_gpus * gpu.peak_flop_per_s;
  e.mfu = e.flops.model_per_iteration / peak_flop;
  e.hfu = e.flops.hardware_per_iteration / peak_flop;
  e.memory = estimate_memory(model, layout, gpu, total_gpus);
  return e;
}

}  // namespace capsim
