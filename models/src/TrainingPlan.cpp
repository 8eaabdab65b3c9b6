#include "capsim/models/TrainingPlan.hpp"

#include <algorithm>
#include <cmath>

#include "capsim/models/Errors.hpp"

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
         std::to_string(l.dp) + " x cp " + std::to_string(l.cp);
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
  for (const auto& storage : cluster.storage) {
    spec.storage_nodes += storage.count;
    // One link speed per fabric: the slowest storage port governs all of them.
    spec.storage_link_Bps = spec.storage_link_Bps == 0
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
  try {
    plan.topology = build_topology(plan.fabric);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError("cluster '" + cluster.name + "': " + error.what());
  }
  const auto problems = plan.topology.check();
  if (!problems.empty()) {
    std::string text;
    for (const auto& problem : problems) text += (text.empty() ? "" : "; ") + problem;
    throw ConfigurationError("cluster '" + cluster.name + "': the fabric is broken: " + text);
  }
  plan.bom = plan.topology.bill_of_materials();
  plan.bisection_Bps = plan.topology.bisection_bandwidth_Bps();
  plan.max_switch_hops = plan.topology.max_hops();

  for (const auto& storage : cluster.storage) {
    const double port_limit_Bps = storage.system.network_ports * storage.system.port_bandwidth_Bps;
    plan.storage_read_Bps += storage.count * std::min(storage.system.read_Bps, port_limit_Bps);
    plan.storage_write_Bps += storage.count * std::min(storage.system.write_Bps, port_limit_Bps);
    plan.storage_capacity_bytes += storage.count * storage.system.capacity_bytes;
  }

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
  for (const auto& storage : cluster.storage) inv.storage.push_back({storage.system, storage.count});

  const bool rental_applies =
      (economics.rental_explicit || economics.rental.gpu == cluster.gpu.id) &&
      economics.rental.usd_per_gpu_hour > 0;
  plan.cost = cost_rates(inv, economics.params,
                         rental_applies ? economics.rental.usd_per_gpu_hour : 0.0);
  return plan;
}

namespace {

ModelShape model_shape(const ModelSpec& model) {
  return ModelShape{model.layers,     model.hidden, model.heads, model.kv_heads,
                    model.ffn_hidden, model.vocab,  model.mlp == "swiglu",
                    model.tied_embeddings};
}

GpuPerformance gpu_performance(const GpuSpec& gpu, TrainingPrecision precision) {
  GpuPerformance perf;
  const bool fp8 = precision == TrainingPrecision::FP8;
  perf.peak_flop_per_s = fp8 ? gpu.fp8_flop_per_s : gpu.bf16_flop_per_s;
  perf.matmul_efficiency = fp8 ? gpu.matmul_efficiency_fp8 : gpu.matmul_efficiency_bf16;
  if (perf.matmul_efficiency <= 0) {
    throw ConfigurationError("GPU '" + gpu.id + "' has no " + (fp8 ? "FP8" : "BF16") +
                             " matmul efficiency; expected the catalog or an inline override "
                             "to give matmul_efficiency_" + (fp8 ? "fp8" : "bf16"));
  }
  perf.memory_bytes = gpu.memory_bytes;
  perf.memory_bandwidth_Bps = gpu.memory_bandwidth_Bps * gpu.memory_efficiency;
  return perf;
}

// Rank order tp fastest, then cp, dp, pp (Megatron-LM's default "tp-cp-ep-dp-pp").
CommPaths comm_paths(const Topology& topology, const TrainingLayout& l) {
  auto path_of = [&](int size, int stride) {
    std::vector<int> ranks;
    for (int i = 0; i < size; ++i) ranks.push_back(i * stride);
    if (size < 2) return CommLink{};
    const CollectivePath path = topology.collective_path(ranks);
    return CommLink{path.bandwidth_per_gpu_Bps, path.latency_s};
  };
  CommPaths comm;
  comm.tp = path_of(l.tp, 1);
  comm.cp = path_of(l.cp, l.tp);
  comm.dp = path_of(l.dp, l.tp * l.cp);
  comm.pp = path_of(std::min(l.pp, 2), l.tp * l.cp * l.dp);  // adjacent stages
  return comm;
}

TrainingLayout resolve_layout(const TrainingWorkload& job, int gpus) {
  TrainingLayout layout;
  layout.tp = job.tp;
  layout.pp = job.pp;
  layout.cp = job.cp;
  const int model_parallel = job.tp * job.pp * job.cp;
  if (job.dp > 0) {
    layout.dp = job.dp;
  } else if (gpus % model_parallel == 0) {
    layout.dp = gpus / model_parallel;
  } else {
    throw ConfigurationError("parallelism: tp " + std::to_string(job.tp) + " x pp " +
                             std::to_string(job.pp) + " x cp " + std::to_string(job.cp) + " = " +
                             std::to_string(model_parallel) + " does not divide the cluster's " +
                             std::to_string(gpus) + " GPUs; expected a divisor of " +
                             std::to_string(gpus));
  }
  if (layout.tp * layout.pp * layout.cp * layout.dp != gpus) {
    throw ConfigurationError("parallelism: " + layout_text(layout) + " = " +
                             std::to_string(layout.tp * layout.pp * layout.cp * layout.dp) +
                             " GPUs but the cluster has " + std::to_string(gpus) +
                             "; expected the product to equal the GPU count");
  }
  layout.global_batch = job.global_batch;
  layout.seq_len = job.seq_len;
  layout.zero_stage = job.zero_stage;
  layout.recompute = job.recompute == RecomputeMode::Full        ? Recompute::Full
                     : job.recompute == RecomputeMode::Selective ? Recompute::Selective
                                                                 : Recompute::None;
  layout.precision =
      job.precision == TrainingPrecision::FP8 ? Precision::FP8 : Precision::BF16;
  layout.micro_batch = job.micro_batch > 0 ? job.micro_batch : 1;
  return layout;
}

// The micro-batch a practitioner would pick: among the powers of two that divide the per-replica
// batch and fit in memory, the one with the shortest iteration (larger micro-batches run
// matmuls more efficiently but lengthen the pipeline bubble). 1 when none fits (the caller
// then reports the memory breakdown).
int choose_micro_batch(const ModelShape& model, TrainingLayout layout, const GpuPerformance& gpu,
                       const CommPaths& comm, int gpus) {
  if (layout.global_batch % layout.dp != 0) return 1;  // estimate_training names the problem
  const int per_replica = layout.global_batch / layout.dp;
  int best = 1;
  double best_s = 0;
  for (int candidate = 1; candidate <= per_replica; candidate *= 2) {
    if (per_replica % candidate != 0) break;
    layout.micro_batch = candidate;
    if (!estimate_memory(model, layout, gpu, gpus).fits) break;
    const double iteration_s = estimate_training(model, layout, gpu, comm, gpus).iteration_s;
    if (best_s == 0 || iteration_s < best_s) {
      best = candidate;
      best_s = iteration_s;
    }
  }
  return best;
}

}  // namespace

TrainingPlan plan_training(const TrainingWorkload& job, const ClusterConfig& cluster,
                           const ClusterPlan& cluster_plan) {
  TrainingPlan plan;
  plan.workload = job.name;
  plan.cluster = cluster.name;
  const std::string context = "workload '" + job.name + "' on cluster '" + cluster.name + "': ";
  try {
    const ModelShape model = model_shape(job.model);
    plan.layout = resolve_layout(job, cluster_plan.gpus);
    plan.gpu = gpu_performance(cluster.gpu, job.precision);
    plan.comm = comm_paths(cluster_plan.topology, plan.layout);
    if (job.micro_batch == 0) {
      plan.layout.micro_batch =
          choose_micro_batch(model, plan.layout, plan.gpu, plan.comm, cluster_plan.gpus);
      plan.micro_batch_chosen = true;
    }
    plan.estimate = estimate_training(model, plan.layout, plan.gpu, plan.comm, cluster_plan.gpus);
  } catch (const ConfigurationError& error) {
    throw ConfigurationError(context + error.what());
  }
  if (!plan.estimate.memory.fits) {
    throw ConfigurationError(context + job.model.id + " with " + layout_text(plan.layout) +
                             ", micro-batch " + std::to_string(plan.layout.micro_batch) +
                             " does not fit in GPU memory: " + describe(plan.estimate.memory) +
                             "; expected a layout that fits: raise tp or pp, a higher "
                             "zero_stage, full recompute or a smaller micro_batch");
  }

  const double tokens_per_step = static_cast<double>(job.global_batch) * job.seq_len;
  plan.steps = job.steps > 0 ? static_cast<double>(job.steps) : std::ceil(job.tokens / tokens_per_step);
  plan.tokens = plan.steps * tokens_per_step;
  plan.compute_time_s = plan.steps * plan.estimate.iteration_s;

  if (job.checkpoint_interval_s > 0) {
    if (cluster_plan.storage_write_Bps <= 0) {
      throw ConfigurationError(context + "checkpoints are requested but cluster '" + cluster.name +
                               "' has no storage; expected a storage entry in the cluster");
    }
    plan.checkpoint_bytes = plan.estimate.parameters.total * kCheckpointBytesPerParam;
    plan.checkpoint_write_s = plan.checkpoint_bytes / cluster_plan.storage_write_Bps;
    plan.checkpoints = std::floor(plan.compute_time_s / job.checkpoint_interval_s);
    plan.checkpoint_stall_s = plan.checkpoints * plan.checkpoint_write_s;
  }
  plan.time_to_train_s = plan.compute_time_s + plan.checkpoint_stall_s;
  plan.cost = run_cost(cluster_plan.cost, plan.time_to_train_s, plan.tokens);

  plan.assumptions = {
      "Compute runs at the datasheet peak x the best published matmul efficiency of " +
          cluster.gpu.id + " (" + cluster.gpu.efficiency_source + ").",
      "Collectives are alpha-beta rings on the topology's per-GPU bandwidth share; "
      "ranks are ordered tp, cp, dp, pp.",
      "Nothing overlaps yet: tensor-, context- and pipeline-parallel transfers and the whole "
      "data-parallel reduction are on the critical path.",
      "Checkpoints (bf16 weights + fp32 Adam states, 14 bytes per parameter) are written "
      "synchronously at the storage's aggregate write bandwidth.",
  };
  if (plan.micro_batch_chosen) {
    plan.assumptions.push_back("Micro-batch " + std::to_string(plan.layout.micro_batch) +
                               " was chosen: of the powers of two that fit in memory, the one "
                               "with the shortest iteration.");
  }
  return plan;
}

}  // namespace capsim
