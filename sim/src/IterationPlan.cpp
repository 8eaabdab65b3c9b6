// plan_iteration(): every pipeline rank's costs from the estimate, split over its model chunks.
#include "IterationPlan.hpp"

#include <cmath>
#include <utility>

#include "capsim/models/LayerKernels.hpp"

namespace capsim::sim_detail {
namespace {

// The data-parallel collectives are played as rings of flows unless: there is an expert-data-
// parallel group (its own rings, not modelled as flows), the job is too large to play, a member
// shares its NVLink domain with another, or ZeRO-2/3 runs the interleaved schedule (its
// per-micro-batch collectives would be split over model chunks). With several members per domain
// NCCL runs one ring per NIC (channels), which the estimate's link counts (k members x a NIC's
// share) and a single ring of flows would not: it would squeeze the whole buffer through one NIC
// per server. Collectives that start together on every stage (overlapped ones, ZeRO-2/3's) need
// static routing too: there the estimate prices the rings' shared links from the same routes
// (RingContention.hpp); under adaptive routing it takes the ideal spread, which the simulator's
// least-loaded next hop, chosen once per route, does not always find (megatron-core-h100-119b:
// two rings on one uplink, twice the estimate's exposed time), so those stay closed form.
bool dp_as_flows(const TrainingLayout& layout, bool ring_alone_in_domain, bool static_routing) {
  const bool end_of_iteration = layout.zero_stage <= 1 && !layout.overlap_dp_comm;
  return layout.dp >= 2 && layout.ep == 1 && (layout.zero_stage <= 1 || layout.vpp == 1) &&
         static_cast<long>(layout.dp) * layout.tp * layout.cp * layout.pp <= kMaxRingFlows &&
         ring_alone_in_domain && (end_of_iteration || static_routing);
}

// The stage's collectives with Collectives.hpp's steps and the estimate's bytes (dp_comm_s):
// gradients (fp32 or bf16) and the bf16 weights of the stage's local parameters, S / dp per step.
DpSchedule dp_schedule(const ModelShape& model, const TrainingLayout& layout, int stage) {
  const double params = local_stage_parameters(model, layout, stage).total();
  const double grad_bytes =
      layout.grad_reduce_fp32 ? kGradReduceFp32BytesPerParam : kGradReduceBf16BytesPerParam;
  const int n = layout.dp;
  auto share = [&](double bytes_per_param) {
    return static_cast<std::uint64_t>(std::llround(params * bytes_per_param / n));
  };
  const RingPhase scatter{n - 1, share(grad_bytes)};
  const RingPhase gather{n - 1, share(kWeightBytesPerParam)};
  DpSchedule s;
  s.overlap = layout.overlap_dp_comm;
  switch (layout.zero_stage) {
    case 0:
      s.after_backward = {{2 * (n - 1), share(grad_bytes)}};
      break;
    case 1:
      s.after_backward = {scatter};
      (s.overlap ? s.first_forward : s.after_backward).push_back(gather);
      break;
    case 2:
      s.each_backward = {scatter};
      (s.overlap ? s.first_forward : s.after_backward).push_back(gather);
      break;
    default:
      s.each_forward = {gather};
      s.each_backward = {gather, scatter};
      break;
  }
  return s;
}

// A rank's forward (or backward) without its pipeline sends, split over its vpp chunks: the
// logits (last rank only) go to its last chunk, the rest in proportion to each chunk's layers
// (every per-layer part, compute and tensor/context/expert traffic, scales with layers).
std::vector<double> split_over_chunks(const ModelShape& model, const TrainingLayout& layout,
                                      int rank, double total_s, double head_s) {
  const int chunks = layout.pp * layout.vpp;
  const double layers = stage_layers(model, layout, rank);
  std::vector<double> out;
  for (int c = 0; c < layout.vpp; ++c) {
    const int chunk_layers = layout.vpp == 1
                                 ? static_cast<int>(layers)
                                 : stage_layer_count(model, chunks, rank + c * layout.pp);
    out.push_back((total_s - head_s) * chunk_layers / layers);
  }
  out.back() += head_s;
  return out;
}

}  // namespace

IterationPlan plan_iteration(const ModelShape& model, const TrainingLayout& layout,
                             const GpuPerformance& gpu, const CommPaths& comm, int total_gpus,
                             bool ring_alone_in_domain, bool static_routing) {
  const std::vector<StageEstimate> stages = estimate_stages(model, layout, gpu, comm, total_gpus);
  const TrainingEstimate estimate = estimate_training(model, layout, gpu, comm, total_gpus);
  const HeadKernelTimes head = logits_kernel_times(model, layout, KernelModel(gpu.kernels));
  IterationPlan plan;
  plan.pp = layout.pp;
  plan.vpp = layout.vpp;
  plan.micro_batches = estimate.micro_batches;
  plan.dp = layout.dp;
  plan.replica_stride = layout.tp * layout.cp;
  plan.optimizer_s = estimate.breakdown.optimizer_s;
  plan.expected_s = estimate.iteration_s;
  // The estimate's message: micro_batch x (seq_len / cp) tokens of hidden 16-bit values, each
  // tensor rank sending its 1/tp share (Megatron's scatter-gather).
  const double local_tokens =
      static_cast<double>(layout.micro_batch) * (layout.seq_len / layout.cp);
  plan.p2p_bytes = static_cast<std::uint64_t>(
      std::llround(local_tokens * model.hidden * kActivationBytes / layout.tp));
  const int stage_stride = layout.tp * layout.cp * layout.dp;
  plan.dp_as_flows = dp_as_flows(layout, ring_alone_in_domain, static_routing);
  for (int k = 0; k < layout.pp; ++k) {
    const MicroBatchTimes& t = stages[k].micro_batch;
    const bool last = k == layout.pp - 1;
    StagePlan stage;
    stage.rank = k * stage_stride;
    stage.forward_s = split_over_chunks(model, layout, k, t.forward_s - t.pp_forward_s,
                                        last ? head.forward_s : 0.0);
    stage.backward_s = split_over_chunks(model, layout, k, t.backward_s - t.pp_backward_s,
                                         last ? head.backward_s : 0.0);
    stage.dp_s = stages[k].dp_comm_exposed_s;
    if (plan.dp_as_flows) {
      // Every tensor and context rank reduces its own shard over its own ring (its own NIC
      // where each GPU has one): all of them are played, since on a shared fabric they meet.
      const int group = layout.tp * layout.cp;
      for (int o = 0; o < group; ++o) {
        std::vector<int> ring;
        for (int j = 0; j < layout.dp; ++j) ring.push_back(stage.rank + o + j * group);
        stage.rings.push_back(std::move(ring));
      }
      stage.collectives = dp_schedule(model, layout, k);
    }
    plan.stages.push_back(std::move(stage));
  }
  return plan;
}

std::vector<std::pair<int, int>> communicating_pairs(const IterationPlan& plan, int replicas) {
  std::vector<std::pair<int, int>> pairs;
  const std::size_t pp = plan.stages.size();
  for (std::size_t k = 0; k < pp; ++k) {
    const StagePlan& stage = plan.stages[k];
    const bool wraps = plan.vpp > 1 && k + 1 == pp && pp > 2;
    for (int j = 0; j < replicas && (k + 1 < pp || wraps); ++j) {
      const int offset = j * plan.replica_stride;
      const int from = stage.rank + offset, next = plan.stages[(k + 1) % pp].rank + offset;
      pairs.emplace_back(from, next);
      pairs.emplace_back(next, from);
    }
    for (const std::vector<int>& ring : stage.rings)
      for (std::size_t j = 0; j < ring.size(); ++j)
        pairs.emplace_back(ring[j], ring[(j + 1) % ring.size()]);
  }
  return pairs;
}

}  // namespace capsim::sim_detail
