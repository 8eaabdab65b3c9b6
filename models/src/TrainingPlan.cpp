#include "capsim/models/TrainingPlan.hpp"

#include <algorithm>
#include <cmath>

#include "TopologyMemo.hpp"
#include "capsim/models/CalibrationProfile.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/RingContention.hpp"
#include "capsim/models/Units.hpp"

namespace capsim {
namespace {

// Light in fibre or copper travels ~5 ns per metre; 10 m is a typical in-row cable run.
constexpr double kCableLatency_s = 50e-9;

// Megatron checkpoints hold bf16 weights plus the fp32 master weights and two Adam moments.
constexpr double kCheckpointBytesPerParam = kWeightBytesPerParam + kAdamStateBytesPerParam;

SwitchModel switch_model(const SwitchSpec& spec) {
  return SwitchModel{spec.ports, spec.port_bandwidth_Bps, spec.latency_s};
}

std::string layout_text(const TrainingLayout& l) {
  return "tp " + std::to_string(l.tp) + " x pp " + std::to_string(l.pp) + " x dp " +
         std::to_string(l.dp) + " x cp " + std::to_string(l.cp) +
         (l.ep > 1 ? " (ep " + std::to_string(l.ep) + ")" : std::string());
}

}  // namespace

FabricSpec fabric_spec(const ClusterConfig& cluster) {
  FabricSpec spec;
  spec.kind = cluster.fabric.kind;
  spec.servers = cluster.server_count;
  spec.gpus_per_server = cluster.server.gpus;
  spec.nvlink_domain_gpus = cluster.server.nvlink_domain_gpus;
  spec.nvlink_bandwidth_Bps = cluster.gpu.scaleup_bandwidth_Bps;
  spec.nvlink_latency_s = cluster.gpu.scaleup_latency_s;
  spec.nics_per_server = cluster.server.nics;
  spec.nic_bandwidth_Bps = cluster.nic.bandwidth_Bps;
  spec.nic_latency_s = cluster.nic.latency_s;
  spec.leaf = switch_model(cluster.fabric.leaf_switch);
  spec.spine = switch_model(cluster.fabric.spine_switch);
  spec.core = switch_model(cluster.fabric.core_switch);
  spec.oversubscription = cluster.fabric.oversubscription;
  spec.routing = cluster.fabric.routing;
  for (const auto& storage : cluster.storage) {
    spec.storage_nodes += storage.count;
    // One link speed per fabric: the slowest storage port governs all of them.
    spec.storage_link_Bps =
        spec.storage_link_Bps == 0
            ? storage.system.port_bandwidth_Bps
            : std::min(spec.storage_link_Bps, storage.system.port_bandwidth_Bps);
    spec.storage_links_per_node =
        std::max(spec.storage_links_per_node, storage.system.network_ports);
  }
  spec.cable_latency_s = kCableLatency_s;
  return spec;
}

ClusterPlan plan_cluster(const ClusterConfig& cluster, const EconomicsConfig& economics) {
  ClusterPlan plan;
  plan.name = cluster.name;
  plan.servers = cluster.server_count;
  plan.gpus = cluster.gpu_count();
  plan.fabric = fabric_spec(cluster);
  std::shared_ptr<const PlannedTopology> planned;
  try {
    planned = planned_topology(plan.fabric);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError("cluster '" + cluster.name + "': " + error.what());
  }
  if (!planned->problems.empty()) {
    std::string text;
    for (const auto& problem : planned->problems) text += (text.empty() ? "" : "; ") + problem;
    throw ConfigurationError("cluster '" + cluster.name + "': the fabric is broken: " + text);
  }
  plan.topology = planned->topology;  // shares the graph
  plan.bom = planned->bom;
  plan.bisection_Bps = planned->bisection_Bps;
  plan.max_switch_hops = planned->max_switch_hops;

  for (const auto& storage : cluster.storage) {
    const double port_limit_Bps = storage.system.network_ports * storage.system.port_bandwidth_Bps;
    plan.storage_read_Bps += storage.count * std::min(storage.system.read_Bps, port_limit_Bps);
    plan.storage_write_Bps += storage.count * std::min(storage.system.write_Bps, port_limit_Bps);
    plan.storage_capacity_bytes += storage.count * storage.system.capacity_bytes;
  }
  plan.gpu_host_link_Bps = cluster.gpu.host_link_Bps;

  Inventory& inv = plan.inventory;
  inv.servers = cluster.server_count;
  inv.gpus = plan.gpus;
  inv.server = cluster.server;
  inv.leaf_switches = plan.bom.leaf_switches;
  inv.spine_switches = plan.bom.spine_switches;
  inv.core_switches = plan.bom.core_switches;
  inv.leaf_switch = cluster.fabric.leaf_switch;
  inv.spine_switch = cluster.fabric.spine_switch;
  inv.core_switch = cluster.fabric.core_switch;
  inv.transceivers = plan.bom.transceivers;
  inv.fiber_cables = plan.bom.fiber_cables;
  inv.copper_cables = plan.bom.copper_cables;
  inv.transceiver = cluster.fabric.transceiver;
  inv.fiber_cable = cluster.fabric.fiber_cable;
  inv.copper_cable = cluster.fabric.copper_cable;
  for (const auto& storage : cluster.storage)
    inv.storage.push_back({storage.system, storage.count});

  const bool rental_applies =
      (economics.rental_explicit || economics.rental.gpu == cluster.gpu.id) &&
      economics.rental.usd_per_gpu_hour > 0;
  plan.cost = cost_rates(inv, cluster_tco(cluster, economics),
                         rental_applies ? economics.rental.usd_per_gpu_hour : 0.0);
  return plan;
}

ModelShape model_shape(const ModelSpec& model) {
  return ModelShape{model.layers,      model.hidden,  model.heads,           model.kv_heads,
                    model.ffn_hidden,  model.vocab,   model.mlp == "swiglu", model.tied_embeddings,
                    model.moe_experts, model.moe_topk};
}

GpuPerformance gpu_performance(const GpuSpec& gpu, TrainingPrecision precision) {
  GpuPerformance perf;
  const bool fp8 = precision == TrainingPrecision::FP8;
  perf.peak_flop_per_s = fp8 ? gpu.fp8_flop_per_s : gpu.bf16_flop_per_s;
  const double efficiency = fp8 ? gpu.matmul_efficiency_fp8 : gpu.matmul_efficiency_bf16;
  if (efficiency <= 0) {
    throw ConfigurationError("GPU '" + gpu.id + "' has no " + (fp8 ? "FP8" : "BF16") +
                             " matmul efficiency; expected the catalog or an inline override "
                             "to give matmul_efficiency_" +
                             (fp8 ? "fp8" : "bf16"));
  }
  perf.memory_bytes = gpu.memory_bytes;
  perf.kernels = kernel_parameters(gpu);
  return perf;
}

TrainingLayout scenario_layout(const TrainingWorkload& job) {
  TrainingLayout layout;
  layout.tp = job.tp;
  layout.pp = job.pp;
  layout.cp = job.cp;
  layout.vpp = job.vpp;
  layout.ep = job.ep;
  layout.dp = job.dp;
  layout.micro_batch = job.micro_batch;
  layout.global_batch = job.global_batch;
  layout.seq_len = job.seq_len;
  layout.zero_stage = job.zero_stage;
  layout.recompute = job.recompute == RecomputeMode::Full        ? Recompute::Full
                     : job.recompute == RecomputeMode::Selective ? Recompute::Selective
                                                                 : Recompute::None;
  layout.precision = job.precision == TrainingPrecision::FP8 ? Precision::FP8 : Precision::BF16;
  layout.overlap_dp_comm = job.overlap_dp_comm;
  layout.overlap_tp_comm = job.overlap_tp_comm;
  layout.grad_reduce_fp32 = job.grad_reduce_fp32;
  layout.attention = job.attention;
  layout.sequence_parallel = job.sequence_parallel;
  layout.dropout = job.dropout;
  layout.grad_accumulation_fusion = job.grad_accumulation_fusion;
  layout.fused_cross_entropy = job.fused_cross_entropy;
  return layout;
}

TrainingLayout resolve_layout(const TrainingWorkload& job, int gpus) {
  TrainingLayout layout = scenario_layout(job);
  // Scenario sizes go up to 10^6 each: their product needs 64 bits.
  const long long model_parallel = static_cast<long long>(job.tp) * job.pp * job.cp;
  if (job.dp <= 0) {
    if (model_parallel <= 0 || gpus % model_parallel != 0) {
      throw ConfigurationError("parallelism: tp " + std::to_string(job.tp) + " x pp " +
                               std::to_string(job.pp) + " x cp " + std::to_string(job.cp) + " = " +
                               std::to_string(model_parallel) + " does not divide the cluster's " +
                               std::to_string(gpus) + " GPUs; expected a divisor of " +
                               std::to_string(gpus));
    }
    layout.dp = static_cast<int>(gpus / model_parallel);
  }
  // model_parallel <= gpus keeps the product with dp (<= 10^6) within 64 bits.
  if (model_parallel > gpus || model_parallel * layout.dp != gpus) {
    throw ConfigurationError("parallelism: " + layout_text(layout) + " = " +
                             (model_parallel > gpus ? "more than " + std::to_string(gpus)
                                                    : std::to_string(model_parallel * layout.dp)) +
                             " GPUs but the cluster has " + std::to_string(gpus) +
                             "; expected the product to equal the GPU count");
  }
  if (layout.micro_batch <= 0) layout.micro_batch = 1;
  return layout;
}

CommLink comm_link(const Topology& topology, const ClusterConfig& cluster, int size, int stride) {
  if (size < 2) return CommLink{};
  std::vector<int> ranks;
  ranks.reserve(static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) ranks.push_back(i * stride);
  const CollectivePath path = topology.collective_path(ranks);
  // Each part at the bus-bandwidth efficiency NCCL reaches on it; the slower one sets the ring.
  const double bandwidth_Bps =
      std::min(path.network_Bps * cluster.nic.collective_efficiency,
               path.scaleup_Bps * cluster.gpu.scaleup_collective_efficiency);
  return CommLink{bandwidth_Bps, path.latency_s};
}

namespace {

// The one place that maps a layout to its groups' (size, rank stride): tp fastest, then cp, dp,
// pp; `link_of(size, stride)` gives a group's link. Expert parallelism folds over the data
// dimension (cp fastest, then dp; Megatron-Core's MoE parallel folding): the EP group is ep
// consecutive data ranks, stride tp (with cp 1 the first ep ranks of the dp group), and the
// expert-data-parallel group the dp cp / ep ranks holding the same experts, stride tp ep. With
// ep 1 the experts use the dp group and no EP link is resolved.
template <typename LinkOf>
CommPaths group_links(const TrainingLayout& l, LinkOf&& link_of) {
  CommPaths comm;
  comm.tp = link_of(l.tp, 1);
  comm.cp = link_of(l.cp, l.tp);
  comm.dp = link_of(l.dp, l.tp * l.cp);
  comm.pp = link_of(std::min(l.pp, 2), l.tp * l.cp * l.dp);  // adjacent stages
  const long long data_ranks = static_cast<long long>(l.dp) * l.cp;
  if (l.ep > 1 && data_ranks % l.ep == 0) {  // else the estimate rejects the layout
    comm.ep = link_of(l.ep, l.tp);
    comm.ep_dp = link_of(static_cast<int>(data_ranks / l.ep), l.tp * l.ep);
  }
  return comm;
}

}  // namespace

namespace {

// How much slower the data-parallel ring runs when every ring of the job routes its edges over
// the fabric at once (RingContention.hpp), where the shared links leave it less than its share.
DpContention ring_contention(const CommLink& dp, const SharedRings& shared,
                             const ClusterConfig& cluster) {
  const double shared_Bps = shared.shared_Bps * cluster.nic.collective_efficiency;
  if (!(dp.bandwidth_Bps > shared_Bps)) return DpContention{};
  return DpContention{dp.bandwidth_Bps / shared_Bps, shared.stage_span};
}

}  // namespace

CommPaths comm_paths(const Topology& topology, const ClusterConfig& cluster,
                     const TrainingLayout& layout) {
  CommPaths comm = group_links(
      layout, [&](int size, int stride) { return comm_link(topology, cluster, size, stride); });
  comm.dp_contention = ring_contention(comm.dp, dp_rings_shared(topology, layout), cluster);
  return comm;
}

CommPathCache::CommPathCache(const Topology& topology, const ClusterConfig& cluster)
    : topology_(&topology), cluster_(&cluster) {}

CommLink CommPathCache::link(int size, int stride) {
  if (size < 2) return CommLink{};
  const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(size)) << 32) |
                            static_cast<std::uint32_t>(stride);
  const auto found = links_.find(key);
  if (found != links_.end()) return found->second;
  const CommLink resolved = comm_link(*topology_, *cluster_, size, stride);
  links_.emplace(key, resolved);
  return resolved;
}

CommPaths CommPathCache::paths(const TrainingLayout& layout) {
  CommPaths comm = group_links(layout, [&](int size, int stride) { return link(size, stride); });
  // The rings' routes depend on the groups' sizes only: tp x cp, dp and pp.
  const std::array<int, 3> key{layout.tp * layout.cp, layout.dp, layout.pp};
  auto found = shared_rings_.find(key);
  if (found == shared_rings_.end())
    found = shared_rings_.emplace(key, dp_rings_shared(*topology_, layout)).first;
  comm.dp_contention = ring_contention(comm.dp, found->second, *cluster_);
  return comm;
}

int choose_micro_batch(const ModelShape& model, TrainingLayout layout, const GpuPerformance& gpu,
                       const CommPaths& comm, int gpus) {
  if (layout.dp <= 0 || layout.global_batch % layout.dp != 0) {
    return 1;  // estimate_training names the problem
  }
  const int per_replica = layout.global_batch / layout.dp;
  int best = 1;
  double best_s = 0;
  for (int candidate = 1; candidate <= per_replica; candidate *= 2) {
    if (per_replica % candidate != 0) break;
    layout.micro_batch = candidate;
    // The interleaved schedule needs whole rounds of pp micro-batches: a larger micro-batch
    // that breaks the rounds is skipped; estimate_training names the problem if none fits.
    const int micro_batches = per_replica / candidate;
    if (layout.vpp > 1 && micro_batches % layout.pp != 0) break;
    if (!estimate_memory(model, layout, gpu, gpus).fits) break;
    const double iteration_s = estimate_training(model, layout, gpu, comm, gpus).iteration_s;
    if (best_s == 0 || iteration_s < best_s) {
      best = candidate;
      best_s = iteration_s;
    }
  }
  return best;
}

InputLoad apply_data_loading(const TrainingWorkload& job, const ClusterPlan& cluster_plan,
                             TrainingEstimate& estimate) {
  const FabricSpec& fabric = cluster_plan.fabric;
  const int servers = fabric.gpus_per_server > 0 ? cluster_plan.gpus / fabric.gpus_per_server : 0;
  const InputLoad load =
      input_load(job.data_loading, job.global_batch, servers, estimate.iteration_s,
                 cluster_plan.storage_read_Bps, fabric.nics_per_server * fabric.nic_bandwidth_Bps);
  add_input_stall(estimate, load.stall_s);
  return load;
}

int checkpoint_writers(int zero_stage, int tp, int pp, int gpus) {
  return zero_stage >= 1 ? gpus : std::max(1, tp * pp);
}

double checkpoint_stall_per_checkpoint_s(const TrainingWorkload& job, const RunFigures& run) {
  if (!job.checkpoint_async) return run.checkpoint_write_s;
  // The write drains in the background; the next checkpoint waits for it (one in flight).
  return run.checkpoint_snapshot_s +
         std::max(0.0, run.checkpoint_write_s - job.checkpoint_interval_s);
}

RunFigures run_figures(const TrainingWorkload& job, const ClusterPlan& cluster_plan,
                       double parameters, double iteration_s) {
  RunFigures run;
  const double tokens_per_step = static_cast<double>(job.global_batch) * job.seq_len;
  run.steps =
      job.steps > 0 ? static_cast<double>(job.steps) : std::ceil(job.tokens / tokens_per_step);
  run.tokens = run.steps * tokens_per_step;
  run.compute_time_s = run.steps * iteration_s;
  if (job.checkpoint_interval_s > 0) {
    if (cluster_plan.storage_write_Bps <= 0) {
      throw ConfigurationError("checkpoints are requested but cluster '" + cluster_plan.name +
                               "' has no storage; expected a storage entry in the cluster");
    }
    run.checkpoint_bytes = parameters * kCheckpointBytesPerParam;
    run.checkpoint_write_s = run.checkpoint_bytes / cluster_plan.storage_write_Bps;
    run.checkpoints = std::floor(run.compute_time_s / job.checkpoint_interval_s);
    if (job.checkpoint_async) {
      if (!(cluster_plan.gpu_host_link_Bps > 0))
        throw ConfigurationError("asynchronous checkpoints copy to host memory but cluster '" +
                                 cluster_plan.name +
                                 "' has no GPU host link bandwidth; expected the GPU's "
                                 "host_link in the catalog");
      const int writers = checkpoint_writers(job.zero_stage, job.tp, job.pp, cluster_plan.gpus);
      run.checkpoint_snapshot_s = run.checkpoint_bytes / writers / cluster_plan.gpu_host_link_Bps;
    }
    run.checkpoint_stall_s = run.checkpoints * checkpoint_stall_per_checkpoint_s(job, run);
  }
  run.time_to_train_s = run.compute_time_s + run.checkpoint_stall_s;
  run.cost = run_cost(cluster_plan.cost, run.time_to_train_s, run.tokens);
  return run;
}

namespace {

std::string power_limit_assumption(const GpuSpec& gpu) {
  if (!(gpu.sustained_matmul_bf16_flop_per_s > 0)) {
    return "No bf16 GEMM or attention kernel is slowed by " + gpu.id +
           "'s power limit: its sustained matmul rate was not measured, so the estimate uses "
           "short-burst rates and may be optimistic.";
  }
  std::string text =
      "A training step keeps the GPU at its power limit: no bf16 GEMM or attention kernel "
      "runs faster than " +
      format_quantity(gpu.sustained_matmul_bf16_flop_per_s, Quantity::FlopRate);
  if (gpu.sustained_matmul_fp8_flop_per_s > 0) {
    text += " and no FP8 GEMM faster than " +
            format_quantity(gpu.sustained_matmul_fp8_flop_per_s, Quantity::FlopRate);
  }
  return text + ", the rates measured on " + gpu.id + " after seconds of back-to-back GEMMs.";
}

std::string implementation_assumption(const TrainingLayout& l) {
  std::string text = "Software: ";
  text += l.attention == AttentionKernel::Materialized ? "attention with the s x s scores in memory"
                                                       : "fused (FlashAttention-style) attention";
  text += l.sequence_parallel ? ", sequence parallelism" : ", no sequence parallelism";
  text += l.dropout ? ", dropout" : ", no dropout";
  text += l.grad_accumulation_fusion ? ", fused gradient accumulation"
                                     : ", unfused gradient accumulation";
  text += l.fused_cross_entropy ? ", fused cross-entropy" : ", cross-entropy on fp32 logits";
  text += l.grad_reduce_fp32 ? "; gradients reduced in fp32." : "; gradients reduced in bf16.";
  return text;
}

std::string plan_context(const TrainingWorkload& job, const ClusterConfig& cluster) {
  return "workload '" + job.name + "' on cluster '" + cluster.name + "': ";
}

}  // namespace

TrainingPlan plan_iteration(const TrainingWorkload& job, const ClusterConfig& cluster,
                            const ClusterPlan& cluster_plan) {
  TrainingPlan plan;
  plan.workload = job.name;
  plan.cluster = cluster.name;
  try {
    const ModelShape model = model_shape(job.model);
    plan.layout = resolve_layout(job, cluster_plan.gpus);
    plan.gpu = gpu_performance(cluster.gpu, job.precision);
    plan.comm = comm_paths(cluster_plan.topology, cluster, plan.layout);
    if (job.micro_batch == 0) {
      plan.layout.micro_batch =
          choose_micro_batch(model, plan.layout, plan.gpu, plan.comm, cluster_plan.gpus);
      plan.micro_batch_chosen = true;
    }
    plan.estimate = estimate_training(model, plan.layout, plan.gpu, plan.comm, cluster_plan.gpus);
    plan.input = apply_data_loading(job, cluster_plan, plan.estimate);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError(plan_context(job, cluster) + error.what());
  }
  return plan;
}

TrainingPlan plan_training(const TrainingWorkload& job, const ClusterConfig& cluster,
                           const ClusterPlan& cluster_plan) {
  TrainingPlan plan = plan_iteration(job, cluster, cluster_plan);
  const std::string context = plan_context(job, cluster);
  if (!plan.estimate.memory.fits) {
    throw ConfigurationError(context + job.model.id + " with " + layout_text(plan.layout) +
                             ", micro-batch " + std::to_string(plan.layout.micro_batch) +
                             " does not fit in GPU memory: " + describe(plan.estimate.memory) +
                             "; expected a layout that fits: raise tp or pp, a higher "
                             "zero_stage, full recompute or a smaller micro_batch");
  }

  RunFigures run;
  try {
    run = run_figures(job, cluster_plan, plan.estimate.parameters.total, plan.estimate.iteration_s);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError(context + error.what());
  }
  plan.steps = run.steps;
  plan.tokens = run.tokens;
  plan.checkpoint_bytes = run.checkpoint_bytes;
  plan.checkpoint_write_s = run.checkpoint_write_s;
  plan.checkpoints = run.checkpoints;
  plan.checkpoint_snapshot_s = run.checkpoint_snapshot_s;
  plan.compute_time_s = run.compute_time_s;
  plan.checkpoint_stall_s = run.checkpoint_stall_s;
  plan.time_to_train_s = run.time_to_train_s;
  plan.cost = run.cost;

  plan.assumptions = {
      "Each kernel (GEMMs, attention, memory-bound kernels) is timed by " + cluster.gpu.id +
          "'s kernel model, " +
          (from_calibration_profile(cluster.gpu) ? "fitted to a " : "from the catalog defaults: ") +
          cluster.gpu.kernel_source,
      power_limit_assumption(cluster.gpu),
      implementation_assumption(plan.layout),
      "Collectives are alpha-beta rings on the topology's per-GPU bandwidth share (a ring "
      "across servers uses the NICs of all its members in a server); ranks are ordered tp, cp, "
      "dp, pp.",
      std::string("Data-parallel collectives ") +
          (plan.layout.overlap_dp_comm ? "overlap the backward and forward passes; "
                                       : "do not overlap compute; ") +
          "tensor-parallel transfers " +
          (plan.layout.overlap_tp_comm
               ? "overlap their GEMMs as Transformer Engine's userbuffers do (chunked GEMMs, "
                 "communication kernels holding SMs); "
               : "are exposed, except the backward's input all-gathers and gradient "
                 "reduce-scatters, which run beside the GEMMs; ") +
          "context- and pipeline-parallel transfers are exposed.",
      std::string("Checkpoints (bf16 weights + fp32 Adam states, 14 bytes per parameter) are "
                  "written at the storage's aggregate write bandwidth, ") +
          (job.checkpoint_async ? "asynchronously: training waits for each writer's copy of "
                                  "its shard to host memory over PCIe, and for any part of the "
                                  "write that outlasts the interval."
                                : "synchronously (training waits)."),
  };
  if (job.model.moe_experts > 0) {
    plan.assumptions.push_back(
        "Mixture of experts (" + std::to_string(job.model.moe_experts) + " experts, top " +
        std::to_string(job.model.moe_topk) +
        "): balanced routing (each expert gets k/E of the tokens, no capacity limit or dropped "
        "tokens); the experts' tensor parallelism is tp; " +
        (plan.layout.ep > 1
             ? std::string("expert-parallel all-to-alls are exposed; expert gradients are reduced "
                           "over the dp x cp / ep GPUs holding the same experts.")
             : std::string("without expert parallelism every GPU holds every expert.")));
  }
  if (plan.micro_batch_chosen) {
    plan.assumptions.push_back("Micro-batch " + std::to_string(plan.layout.micro_batch) +
                               " was chosen: of the powers of two that fit in memory, the one "
                               "with the shortest iteration.");
  }
  return plan;
}

}  // namespace capsim
