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
#include "capsim/models/LayerKernels.hpp"
#include "capsim/models/TensorParallelComm.hpp"

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

// Per micro-batch on 0-based pipeline `stage` (its stage_layer_count layers, plus the output
// layer and loss on the last stage), per GPU. `layer` holds one layer's kernel times.
MicroBatchTimes micro_batch_times(const ModelShape& model, const TrainingLayout& layout,
                                  const KernelModel& kernels, const LayerKernelTimes& layer,
                                  const CommPaths& comm, int stage) {
  const int stage_layers = capsim::stage_layers(model, layout, stage);
  const double layers = stage_layers;
  const double local_tokens =
      static_cast<double>(layout.micro_batch) * (layout.seq_len / layout.cp);
  const double kv_dim = static_cast<double>(model.kv_heads) * (model.hidden / model.heads);
  const bool full = layout.recompute == Recompute::Full;
  const HeadKernelTimes head =
      stage == layout.pp - 1 ? logits_kernel_times(model, layout, kernels) : HeadKernelTimes{};

  // Compute: every kernel of the stage's layers. Full recompute replays each layer's forward
  // before its backward; selective recompute replays the attention core's forward: the score
  // kernels when they are materialized, the fused kernel's forward otherwise (Megatron-Core
  // checkpoints the core attention module whichever kernel runs it).
  const bool replay_scores = layout.recompute == Recompute::Selective;
  MicroBatchTimes t;
  t.stage = stage;
  t.layers = stage_layers;
  t.compute_forward_s = layers * layer.forward_s() + head.forward_s;
  t.compute_backward_s = layers * (layer.backward_s() + (full ? layer.forward_s() : 0.0) +
                                   (replay_scores ? layer.attention_forward_s : 0.0)) +
                         head.backward_s;
  if (!layout.grad_accumulation_fusion) {
    t.compute_backward_s += kernels.memory_bound_s(
        kGradAccumulateBytesPerParam * local_stage_parameters(model, layout, stage).total());
  }

  // Tensor parallelism (TensorParallelComm.hpp); full recompute replays the forward's.
  const TensorParallelLayerTimes tp =
      tensor_parallel_layer_times(model, layout, kernels, layer, comm.tp);
  t.tp_forward_s = layers * tp.forward_s;
  t.tp_backward_s = layers * (tp.backward_s + (full ? tp.forward_s : 0.0));

  // Context parallelism: ring attention passes this rank's K and V chunk (cp - 1) steps around
  // the ring per layer; backward passes K, V and their gradients (2x). Not overlapped with the
  // attention compute in this form.
  if (layout.cp > 1) {
    const double cp_bytes = local_tokens * 2.0 * kv_dim / layout.tp * kActivationBytes;
    const double cp_layer_s = (layout.cp - 1) * point_to_point_s(cp_bytes, comm.cp);
    t.cp_forward_s = layers * cp_layer_s;
    t.cp_backward_s = layers * cp_layer_s * (full ? 3.0 : 2.0);
  }

  // Expert parallelism: per MoE layer the dispatch and the combine all-to-all, each rank sending
  // the k copies of its t / tp sequence-parallel tokens; backward the same on the gradients, and
  // the forward's again under full recompute. Not overlapped with compute.
  if (model.moe_experts > 0 && layout.ep > 1) {
    const double ep_bytes =
        local_tokens / layout.tp * model.moe_topk * model.hidden * kActivationBytes;
    const double ep_layer_s = 2.0 * all_to_all_s(ep_bytes, layout.ep, comm.ep);
    t.ep_forward_s = layers * ep_layer_s;
    t.ep_backward_s = layers * ep_layer_s * (full ? 2.0 : 1.0);
  }

  // Pipeline: one activation send forward and one gradient send backward per micro-batch.
  // Megatron's scatter-gather optimisation (implied by sequence parallelism) has each TP rank
  // send its 1/tp share over its own path.
  if (layout.pp > 1) {
    const double pp_bytes = local_tokens * model.hidden * kActivationBytes / layout.tp;
    // Interleaving makes each micro-batch cross every GPU vpp times.
    t.pp_forward_s = layout.vpp * point_to_point_s(pp_bytes, comm.pp);
    t.pp_backward_s = layout.vpp * point_to_point_s(pp_bytes, comm.pp);
  }

  t.forward_s =
      t.compute_forward_s + t.tp_forward_s + t.cp_forward_s + t.ep_forward_s + t.pp_forward_s;
  t.backward_s =
      t.compute_backward_s + t.tp_backward_s + t.cp_backward_s + t.ep_backward_s + t.pp_backward_s;
  return t;
}

// Data-parallel collectives of one iteration on the largest stage, over the dp link, bytes of the
// local (tp-sharded) parameters. ZeRO-2 and ZeRO-3 keep only 1/dp of the gradients, so they must
// reduce-scatter after every micro-batch's backward (as DeepSpeed does); ZeRO-3 also gathers the
// weights before each forward and each backward and needs no gather after the step.
// Returns {total, exposed}: with overlap, gradient reductions hide behind the backward of the
// micro-batch that produced them and parameter gathers behind the forward that follows (each
// the micro-batch's whole step but its pipeline send), so only what exceeds those windows is
// exposed.
struct DpComm {
  double total_s = 0;
  double exposed_s = 0;
};
// With expert parallelism (ep > 1) the experts' collectives run over their expert-data-parallel
// group after the dense parameters' over dp, in the same windows; with ep = 1 the experts are
// ordinary data-parallel weights and travel with the rest.
// Under static routing the job's rings may share links (CommPaths::dp_contention): all at once,
// each takes `sharing` times its time alone. The rings sharing the busiest link start up to
// `stage_span` backward slots apart (stage k ends its last backward k slots before stage 0), so
// that link carries sharing x alone of work from the first start while the last-started ring
// needs its time alone after its own start: the reduction ends max(alone, sharing x alone -
// span x slot) after stage 0's last backward (exact for two rings on a link; docs/simulation.md).
double staggered_s(double alone_s, const DpContention& contention, double backward_slot_s) {
  return std::max(alone_s, contention.sharing * alone_s - contention.stage_span * backward_slot_s);
}

DpComm dp_comm_s(const TrainingLayout& layout, const CommPaths& comm, const LocalParameters& params,
                 int micro_batches, const MicroBatchTimes& t) {
  const bool expert_group = layout.ep > 1;
  const double dense_params = expert_group ? params.dense : params.total();
  const double expert_params = expert_group ? params.experts : 0.0;
  const int expert_dp = expert_data_parallel_size(layout);
  const DpContention& contention = comm.dp_contention;
  // The dense rings alone, then the expert-data-parallel rings (their own groups, not analysed
  // for shared links).
  struct Rings {
    double dense_s = 0, experts_s = 0;
    double all_at_once_s(const DpContention& c) const { return c.sharing * dense_s + experts_s; }
  };
  auto over_groups = [&](double (*collective)(double, int, const CommLink&),
                         double bytes_per_param) {
    Rings rings{collective(dense_params * bytes_per_param, layout.dp, comm.dp), 0.0};
    if (expert_params > 0.0)
      rings.experts_s = collective(expert_params * bytes_per_param, expert_dp, comm.ep_dp);
    return rings;
  };
  const double m = micro_batches;
  const double grad_bytes =
      layout.grad_reduce_fp32 ? kGradReduceFp32BytesPerParam : kGradReduceBf16BytesPerParam;
  const double scatter = over_groups(reduce_scatter_s, grad_bytes).all_at_once_s(contention);
  const double gather = over_groups(all_gather_s, kWeightBytesPerParam).all_at_once_s(contention);
  // Overlapped, a collective hides behind a whole micro-batch step, kernels and tensor-parallel
  // traffic alike (the data-parallel ring has its own NCCL stream and the NICs), not the
  // pipeline send.
  const double forward = layout.overlap_dp_comm ? t.forward_s - t.pp_forward_s : 0.0;
  const double backward = layout.overlap_dp_comm ? t.backward_s - t.pp_backward_s : 0.0;
  auto beyond = [](double comm_s, double window_s) { return std::max(0.0, comm_s - window_s); };
  // After the backward (no overlap) the stages' rings start staggered; overlapped ones are
  // priced all at once, as are ZeRO-2/3's per-micro-batch collectives.
  auto after_backward = [&](const Rings& rings) {
    return staggered_s(rings.dense_s, contention, t.backward_s) + rings.experts_s;
  };
  switch (layout.zero_stage) {
    case 0: {
      const Rings all_reduce = over_groups(ring_all_reduce_s, grad_bytes);
      if (!layout.overlap_dp_comm) {
        const double staggered = after_backward(all_reduce);
        return {staggered, staggered};
      }
      const double all_at_once = all_reduce.all_at_once_s(contention);
      return {all_at_once, beyond(all_at_once, backward)};
    }
    case 1: {
      if (!layout.overlap_dp_comm) {
        Rings both = over_groups(reduce_scatter_s, grad_bytes);
        const Rings gathers = over_groups(all_gather_s, kWeightBytesPerParam);
        both.dense_s += gathers.dense_s;
        both.experts_s += gathers.experts_s;
        const double staggered = after_backward(both);
        return {staggered, staggered};
      }
      return {scatter + gather, beyond(scatter, backward) + beyond(gather, forward)};
    }
    case 2:
      return {m * scatter + gather, m * beyond(scatter, backward) + beyond(gather, forward)};
    default:
      return {m * (scatter + 2.0 * gather),
              m * (beyond(gather, forward) + beyond(gather + scatter, backward))};
  }
}

// Data-parallel time of the stage `t` is for, over its own local parameters.
DpComm stage_dp_comm(const ModelShape& model, const TrainingLayout& layout, const CommPaths& comm,
                     int micro_batches, const MicroBatchTimes& t) {
  return dp_comm_s(layout, comm, local_stage_parameters(model, layout, t.stage), micro_batches, t);
}

// The checks estimate_training makes before any time is computed.
void validate_estimate_inputs(const ModelShape& model, const TrainingLayout& layout,
                              const GpuPerformance& gpu, const CommPaths& comm, int total_gpus) {
  validate_training_inputs(model, layout, gpu, total_gpus);
  check_link("tp", layout.tp, comm.tp);
  check_link("pp", layout.pp, comm.pp);
  check_link("dp", layout.dp, comm.dp);
  check_link("cp", layout.cp, comm.cp);
  if (layout.ep > 1) {  // validated: an MoE model
    check_link("ep", layout.ep, comm.ep);
    check_link("expert-data-parallel", expert_data_parallel_size(layout), comm.ep_dp);
  }
}

// One pass over the stages gives the bottleneck and the data-parallel exposure.
struct StageScan {
  MicroBatchTimes slowest;  ///< the largest micro-batch slot (forward + backward), first on a tie
  DpComm dp;                ///< the largest total and exposed data-parallel time of any stage
};

// The bottleneck: with an even split the last stage (same layers plus the logits); with an
// uneven one a stage of ceil(l / pp) layers may beat a last stage of one layer fewer plus the
// logits. Every stage reduces its own gradients inside its own windows (stage 0 has no logits
// and finishes its backward last); the stage that exposes the most sets the exposed time.
StageScan scan_stages(const ModelShape& model, const TrainingLayout& layout,
                      const KernelModel& kernels, const CommPaths& comm, int micro_batches) {
  const LayerKernelTimes layer = layer_kernel_times(model, layout, kernels);
  StageScan scan;
  for (int stage = 0; stage < layout.pp; ++stage) {
    const MicroBatchTimes t = micro_batch_times(model, layout, kernels, layer, comm, stage);
    if (stage == 0 ||
        t.forward_s + t.backward_s > scan.slowest.forward_s + scan.slowest.backward_s) {
      scan.slowest = t;
    }
    const DpComm dp = stage_dp_comm(model, layout, comm, micro_batches, t);
    scan.dp.total_s = std::max(scan.dp.total_s, dp.total_s);
    scan.dp.exposed_s = std::max(scan.dp.exposed_s, dp.exposed_s);
  }
  return scan;
}

}  // namespace

TrainingEstimate estimate_training(const ModelShape& model, const TrainingLayout& layout,
                                   const GpuPerformance& gpu, const CommPaths& comm,
                                   int total_gpus) {
  validate_estimate_inputs(model, layout, gpu, comm, total_gpus);

  TrainingEstimate e;
  e.parameters = count_parameters(model);
  e.flops = count_training_flops(model, layout);
  e.micro_batches = layout.global_batch / (layout.dp * layout.micro_batch);
  LocalParameters largest;  // every stage: with an uneven split an inner one can be largest
  for (int stage = 0; stage < layout.pp; ++stage) {
    const LocalParameters local = local_stage_parameters(model, layout, stage);
    if (local.total() > largest.total()) largest = local;
  }
  e.stage_parameters = largest.total();
  const KernelModel kernels(gpu.kernels);
  const StageScan scan = scan_stages(model, layout, kernels, comm, e.micro_batches);
  e.micro_batch = scan.slowest;

  const MicroBatchTimes& t = e.micro_batch;
  const double m = e.micro_batches;
  IterationBreakdown& b = e.breakdown;
  b.compute_s = m * (t.compute_forward_s + t.compute_backward_s);
  b.tp_comm_s = m * (t.tp_forward_s + t.tp_backward_s);
  b.cp_comm_s = m * (t.cp_forward_s + t.cp_backward_s);
  b.pp_comm_s = m * (t.pp_forward_s + t.pp_backward_s);
  b.ep_comm_s = m * (t.ep_forward_s + t.ep_backward_s);
  // The interleaved schedule shrinks the bubble vpp-fold (Narayanan et al. 2021, eq. 2).
  b.bubble_s = (layout.pp - 1) * (t.forward_s + t.backward_s) / layout.vpp;
  e.dp_comm_total_s = scan.dp.total_s;
  b.dp_comm_s = scan.dp.exposed_s;

  const bool sharded = layout.zero_stage >= 1;  // experts over their expert-DP group
  const double owned_params = largest.dense / (sharded ? layout.dp : 1) +
                              largest.experts / (sharded ? expert_data_parallel_size(layout) : 1);
  b.optimizer_s = owned_params * kAdamStepBytesPerParam / gpu.kernels.memory_bandwidth_Bps;

  e.iteration_s = b.compute_s + b.tp_comm_s + b.cp_comm_s + b.pp_comm_s + b.ep_comm_s + b.bubble_s +
                  b.dp_comm_s + b.optimizer_s;
  e.tokens_per_s = static_cast<double>(layout.global_batch) * layout.seq_len / e.iteration_s;
  const double peak_flop = e.iteration_s * total_gpus * gpu.peak_flop_per_s;
  e.mfu = e.flops.model_per_iteration / peak_flop;
  e.hfu = e.flops.hardware_per_iteration / peak_flop;
  e.memory = estimate_memory(model, layout, gpu, total_gpus);
  return e;
}

std::vector<StageEstimate> estimate_stages(const ModelShape& model, const TrainingLayout& layout,
                                           const GpuPerformance& gpu, const CommPaths& comm,
                                           int total_gpus) {
  validate_estimate_inputs(model, layout, gpu, comm, total_gpus);
  const int micro_batches = layout.global_batch / (layout.dp * layout.micro_batch);
  const KernelModel kernels(gpu.kernels);
  const LayerKernelTimes layer = layer_kernel_times(model, layout, kernels);
  std::vector<StageEstimate> stages;
  stages.reserve(static_cast<std::size_t>(layout.pp));
  for (int stage = 0; stage < layout.pp; ++stage) {
    StageEstimate s;
    s.micro_batch = micro_batch_times(model, layout, kernels, layer, comm, stage);
    const DpComm dp = stage_dp_comm(model, layout, comm, micro_batches, s.micro_batch);
    s.dp_comm_total_s = dp.total_s;
    s.dp_comm_exposed_s = dp.exposed_s;
    stages.push_back(s);
  }
  return stages;
}

}  // namespace capsim
