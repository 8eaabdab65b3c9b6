#include "capsim/models/PublishedRuns.hpp"

#include <charconv>
#include <cmath>
#include <map>

#include "CsvRows.hpp"
#include "YamlReader.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace {

using csv::quoted;
using csv::Row;

PublishedTrainingRun parse_run(const Row& row, int line) {
  PublishedTrainingRun run;
  run.line = line;
  run.id = row.text("id");
  run.source = row.text("source");
  run.gpu = row.text("gpu");
  run.gpus = row.count("gpus");
  run.gpus_per_node = row.count("gpus_per_node");
  run.nics_per_node = row.count("nics_per_node");
  run.nic_Bps = row.number("nic_gbps") * 1e9 / 8;
  run.fabric = row.choice("fabric", {"ib", "roce"});
  run.layers = row.count("layers");
  run.hidden = row.count("hidden");
  run.heads = row.optional_count("heads", 1);
  run.kv_heads = row.optional_count("kv_heads", 1);
  run.ffn_hidden = row.count("ffn_hidden");
  run.vocab = row.count("vocab");
  run.seq_len = row.count("seq_len");
  run.moe_experts = row.optional_count("moe_experts", 0).value_or(0);
  run.moe_topk = row.optional_count("moe_topk", 0).value_or(0);
  run.global_batch = row.count("global_batch");
  run.micro_batch = row.optional_count("micro_batch", 1);
  run.tp = row.count("tp");
  run.pp = row.count("pp");
  run.dp = row.count("dp");
  run.cp = row.optional_count("cp", 1).value_or(1);
  run.vpp = row.optional_count("vpp", 1).value_or(1);
  // Not a column of the published format (yet): read where a file adds it; else 1 for a dense
  // model and capsim's choice for a mixture of experts (predict_published_run).
  if (row.has("ep")) run.ep = row.optional_count("ep", 1);
  run.zero_stage = row.optional_count("zero_stage", 0).value_or(0);
  const std::string recompute = row.choice("recompute", {"none", "selective", "full"}, true);
  if (!recompute.empty()) run.recompute = recompute;
  run.precision = row.choice("precision", {"bf16", "fp8"});
  run.flops_formula = row.choice("flops_formula", {"megatron-sc21", "megatron-core", "6nd"});
  run.measured_tflops_per_gpu = row.optional_number("measured_tflops_per_gpu").value_or(0);
  run.measured_iter_s = row.number("measured_iter_s");
  return run;
}

}  // namespace

std::vector<PublishedTrainingRun> load_published_training_runs(const std::string& path) {
  std::vector<PublishedTrainingRun> runs;
  csv::for_each_row(path, read_text_file(path),
                    "the columns of shared/validation/training_public.csv",
                    [&](const Row& row, int line) { runs.push_back(parse_run(row, line)); });
  return runs;
}

}  // namespace capsim

namespace capsim {
namespace {

const std::string& technology_of(const PublishedTrainingRun& run) {
  static const std::string kInfiniband = "infiniband", kEthernet = "ethernet";
  return run.fabric == "ib" ? kInfiniband : kEthernet;
}

// The catalog NIC of the row's technology and speed; when the catalog has none of that speed,
// the closest one re-rated to it (latency, price and power do not enter the iteration time).
NicSpec nic_for(const PublishedTrainingRun& run, const Catalog& catalog) {
  const NicSpec* best = nullptr;
  for (const auto& [id, nic] : catalog.nics) {
    if (nic.technology != technology_of(run)) continue;
    if (!best ||
        std::fabs(nic.bandwidth_Bps - run.nic_Bps) < std::fabs(best->bandwidth_Bps - run.nic_Bps)) {
      best = &nic;
    }
  }
  if (!best) {
    throw ConfigurationError(run.id + ": the catalog has no " + technology_of(run) + " NIC");
  }
  NicSpec nic = *best;
  nic.bandwidth_Bps = run.nic_Bps;
  return nic;
}

// The catalog switch of the row's technology whose ports are at least as fast as the NICs
// (the slowest such, then the highest radix): published clusters run non-blocking fabrics.
SwitchSpec switch_for(const PublishedTrainingRun& run, const Catalog& catalog) {
  const SwitchSpec* best = nullptr;
  for (const auto& [id, candidate] : catalog.switches) {
    if (candidate.technology != technology_of(run) || candidate.port_bandwidth_Bps < run.nic_Bps) {
      continue;
    }
    if (!best || candidate.port_bandwidth_Bps < best->port_bandwidth_Bps ||
        (candidate.port_bandwidth_Bps == best->port_bandwidth_Bps &&
         candidate.ports > best->ports)) {
      best = &candidate;
    }
  }
  if (!best) {
    throw ConfigurationError(run.id + ": the catalog has no " + technology_of(run) +
                             " switch for " + std::to_string(run.nic_Bps * 8 / 1e9) + " Gb/s NICs");
  }
  return *best;
}

ClusterConfig cluster_for(const PublishedTrainingRun& run, const Catalog& catalog) {
  ClusterConfig cluster;
  cluster.name = run.id;
  auto gpu = catalog.gpus.find(run.gpu);
  if (gpu == catalog.gpus.end()) {
    throw InputError(SourceLocation{run.id, run.line, 0}, "gpu",
                     "unknown GPU id " + quoted(run.gpu),
                     "a catalog GPU id (see `capsim catalog gpus`)");
  }
  cluster.gpu = gpu->second;
  cluster.nic = nic_for(run, catalog);
  if (run.gpus % run.gpus_per_node != 0) {
    throw ConfigurationError(run.id + ": " + std::to_string(run.gpus) +
                             " GPUs are not whole nodes of " + std::to_string(run.gpus_per_node));
  }
  cluster.server_count = run.gpus / run.gpus_per_node;
  cluster.server.id = "published-node";
  cluster.server.gpu = cluster.gpu.id;
  cluster.server.gpus = run.gpus_per_node;
  cluster.server.nvlink_domain_gpus = cluster.gpu.scaleup_bandwidth_Bps > 0 ? run.gpus_per_node : 1;
  cluster.server.nic = cluster.nic.id;
  cluster.server.nics = run.nics_per_node;

  FabricConfig& fabric = cluster.fabric;
  fabric.leaf_switch = fabric.spine_switch = fabric.core_switch = switch_for(run, catalog);
  const int ports = fabric.leaf_switch.ports;
  const long nic_ports = static_cast<long>(cluster.server_count) * run.nics_per_node;
  fabric.kind = nic_ports <= ports                                  ? FabricTemplate::SingleSwitch
                : nic_ports <= static_cast<long>(ports) * ports / 2 ? FabricTemplate::RailOptimized
                                                                    : FabricTemplate::Clos3;
  fabric.oversubscription = 1.0;
  // NCCL enables InfiniBand adaptive routing by default (net_ib.cc, 2022 on); the 2021 software
  // the megatron-sc21 convention names is planned with static routing, since we hold nothing
  // showing NCCL of that year used it (docs/validation.md lists this assumption).
  fabric.routing =
      fabric.leaf_switch.technology == "infiniband" && run.flops_formula != "megatron-sc21"
          ? Routing::Adaptive
          : Routing::Static;
  return cluster;
}

ModelSpec model_for(const PublishedTrainingRun& run) {
  ModelSpec model;
  model.id = run.id;
  model.layers = run.layers;
  model.hidden = run.hidden;
  model.heads = run.heads.value_or(run.hidden / 128);  // the README's rule: head dim 128
  model.kv_heads = run.kv_heads.value_or(model.heads);
  model.ffn_hidden = run.ffn_hidden;
  model.vocab = run.vocab;
  // The format does not say which MLP: GPT's plain MLP has ffn = 4h; every gated (SwiGLU)
  // model in the catalog has another ratio (Llama 3.5h, Llama 2 2.6875h).
  model.mlp = run.ffn_hidden == 4 * run.hidden ? "gelu" : "swiglu";
  model.moe_experts = run.moe_experts;
  model.moe_topk = run.moe_topk;
  return model;
}

}  // namespace

double published_flops_per_iteration(const PublishedTrainingRun& run) {
  const double B = run.global_batch, s = run.seq_len, l = run.layers, h = run.hidden, V = run.vocab;
  if (run.flops_formula == "megatron-sc21") {
    return 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
  }
  const ModelSpec model = model_for(run);
  if (run.flops_formula == "megatron-core") {
    // Megatron-Core's num_floating_point_operations (training.py): attention with grouped
    // queries, MLP with the gated multiplier and experts routed to, and the logits.
    const double heads = model.heads, groups = model.kv_heads;
    const double query_ratio = heads * (h / heads) / h;
    const double experts_routed = run.moe_experts > 0 ? run.moe_topk : 1;
    const double gated = model.mlp == "swiglu" ? 1.5 : 1.0;
    return 12 * B * s * l * h * h *
           ((1 + groups / heads + s / h) * query_ratio +
            (run.ffn_hidden / h) * experts_routed * gated + V / (2 * l * h));
  }
  // 6nd; for a mixture of experts N is the parameters one token uses (the k experts routed to,
  // not all E), the usual convention for MoE model FLOPs.
  return 6 * count_parameters(model_shape(model)).active * B * s;
}

namespace {

// Whichever of two plans a practitioner would run: one that fits in memory over one that does
// not (the memory model may be stricter than the real run was), then the faster.
bool better_plan(const TrainingPlan& a, const TrainingPlan& b) {
  if (a.estimate.memory.fits != b.estimate.memory.fits) return a.estimate.memory.fits;
  return a.estimate.iteration_s < b.estimate.iteration_s;
}

// The row's layout as published. Blank recompute: what a practitioner runs, none if it fits
// (with fused attention it stores no score matrix), else selective, else full.
TrainingPlan plan_row(TrainingWorkload job, const PublishedTrainingRun& run,
                      const ClusterConfig& cluster, const ClusterPlan& cluster_plan) {
  static const std::map<std::string, RecomputeMode> kModes = {
      {"none", RecomputeMode::None},
      {"selective", RecomputeMode::Selective},
      {"full", RecomputeMode::Full}};
  if (run.recompute) {
    job.recompute = kModes.at(*run.recompute);
    return plan_iteration(job, cluster, cluster_plan);
  }
  job.recompute = RecomputeMode::None;
  const TrainingPlan none = plan_iteration(job, cluster, cluster_plan);
  if (none.estimate.memory.fits) return none;
  job.recompute = RecomputeMode::Selective;
  const TrainingPlan selective = plan_iteration(job, cluster, cluster_plan);
  if (selective.estimate.memory.fits) return selective;
  job.recompute = RecomputeMode::Full;
  const TrainingPlan full = plan_iteration(job, cluster, cluster_plan);
  return full.estimate.memory.fits ? full : none;
}

}  // namespace

ClusterConfig published_run_cluster(const PublishedTrainingRun& run, const Catalog& catalog) {
  return cluster_for(run, catalog);
}

TrainingPrediction predict_published_run(const PublishedTrainingRun& run, const Catalog& catalog) {
  const ClusterConfig cluster = cluster_for(run, catalog);
  EconomicsConfig economics;
  economics.params = catalog.economics.at("default");

  TrainingWorkload job;
  job.name = run.id;
  job.cluster = cluster.name;
  job.model = model_for(run);
  job.steps = 1;
  job.seq_len = run.seq_len;
  job.global_batch = run.global_batch;
  job.micro_batch = run.micro_batch.value_or(0);
  job.tp = run.tp;
  job.pp = run.pp;
  job.dp = run.dp;
  job.cp = run.cp;
  job.vpp = run.vpp;
  job.zero_stage = run.zero_stage;
  if (run.flops_formula == "megatron-sc21") {
    // The convention names the software: Megatron-LM as in Narayanan et al. SC'21, before
    // FlashAttention, sequence parallelism and gradient accumulation fusion, with GPT-3's
    // dropout.
    job.attention = AttentionKernel::Materialized;
    job.sequence_parallel = false;
    job.dropout = true;
    job.grad_accumulation_fusion = false;
    // Its DDP all-reduced the gradients after the backward, not overlapped with it.
    job.overlap_dp_comm = false;
  }
  // Megatron-Core's published benchmarks run with --tp-comm-overlap (its README's benchmark
  // configuration; the H100 rows' source says all overlaps were on).
  if (run.flops_formula == "megatron-core") job.overlap_tp_comm = true;
  job.precision = run.precision == "fp8" ? TrainingPrecision::FP8 : TrainingPrecision::BF16;

  const ClusterPlan cluster_plan = plan_cluster(cluster, economics);
  TrainingPlan plan;
  bool ep_chosen = false;
  if (run.ep || run.moe_experts == 0) {
    job.ep = run.ep.value_or(1);
    plan = plan_row(job, run, cluster, cluster_plan);
  } else {
    // Not published: the expert-parallel size a practitioner would pick, the one that fits and
    // runs fastest of the divisors of the expert count that divide dp x cp.
    // A size the layout cannot run is skipped; if none can, the first one's error says why.
    const long long data_ranks = static_cast<long long>(run.dp) * run.cp;
    bool planned = false;
    std::string first_error;
    for (int ep = 1; ep <= run.moe_experts; ++ep) {
      if (run.moe_experts % ep != 0 || data_ranks % ep != 0) continue;
      job.ep = ep;
      try {
        const TrainingPlan candidate = plan_row(job, run, cluster, cluster_plan);
        if (!planned || better_plan(candidate, plan)) plan = candidate;
        planned = true;
      } catch (const ConfigurationError& error) {
        if (first_error.empty()) first_error = error.what();
      }
    }
    if (!planned) throw ConfigurationError(first_error);
    ep_chosen = true;
  }

  TrainingPrediction prediction;
  prediction.id = run.id;
  prediction.estimate = plan.estimate;
  prediction.predicted_iter_s = plan.estimate.iteration_s;
  prediction.measured_iter_s = run.measured_iter_s;
  prediction.error = prediction.predicted_iter_s / run.measured_iter_s - 1;
  prediction.predicted_tflops_per_gpu =
      published_flops_per_iteration(run) / prediction.predicted_iter_s / run.gpus / 1e12;
  prediction.micro_batch = plan.layout.micro_batch;
  prediction.micro_batch_chosen = plan.micro_batch_chosen;
  prediction.ep_chosen = ep_chosen;
  prediction.fits = plan.estimate.memory.fits;
  prediction.layout = plan.layout;
  prediction.model = model_shape(job.model);
  prediction.gpu = plan.gpu;
  return prediction;
}

}  // namespace capsim
