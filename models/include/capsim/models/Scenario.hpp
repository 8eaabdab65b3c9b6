// A scenario: the infrastructure, the workloads run on it, the economics and the run settings.
//
// parse_scenario() turns YAML text into these plain structs once, at the boundary: catalog ids are
// resolved, inline overrides applied and every unit converted, so nothing downstream reads files or
// the catalog. The file format is documented key by key in docs/scenario-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/DataLoading.hpp"
#include "capsim/models/ServingWorkload.hpp"
#include "capsim/models/Topology.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// How the cluster's scale-out network is wired, with the switch and optic types it uses.
struct FabricConfig {
  FabricTemplate kind = FabricTemplate::LeafSpine;
  SwitchSpec leaf_switch;
  SwitchSpec spine_switch;
  SwitchSpec core_switch;
  double oversubscription = 1.0;  ///< leaf downlink:uplink capacity, 1 = full bisection
  /// How the switches route flows; defaults to adaptive on InfiniBand, static on Ethernet.
  Routing routing = Routing::Static;
  OpticSpec transceiver;   ///< one per end of every optical link
  OpticSpec fiber_cable;   ///< switch-to-switch and storage links
  OpticSpec copper_cable;  ///< NIC-to-leaf links inside a rack
};

/// A number of identical storage units attached to a cluster's fabric.
struct StorageConfig {
  StorageSpec system;
  int count = 0;
};

/// A data centre: where clusters stand and what running them there costs.
struct SiteConfig {
  std::string name;
  std::string location;     ///< free text ("Hillsboro, Oregon"); reported, not computed with
  std::string description;  ///< free text
  /// The TCO values of this site: the scenario's economics.tco (or the catalog entry the site
  /// names) with the site's overrides applied (electricity price, PUE, lifetimes, ...).
  EconomicsSpec economics;
};

/// One group of identical servers on one fabric.
struct ClusterConfig {
  std::string name;
  std::string site;  ///< SiteConfig name; empty when the cluster names no site
  /// The site's TCO values; empty when the cluster names no site (the scenario's economics.tco
  /// then prices it).
  std::optional<EconomicsSpec> site_economics;
  ServerSpec server;  ///< with inline overrides applied
  GpuSpec gpu;        ///< the server's GPU, with inline overrides applied
  NicSpec nic;        ///< the server's scale-out NIC, with overrides applied
  int server_count = 0;
  FabricConfig fabric;
  std::vector<StorageConfig> storage;
  /// How workloads that set `servers` are laid out on the cluster: "packed" (in scenario order,
  /// each takes the next consecutive servers) or "scattered" (servers dealt round robin over
  /// those workloads in scenario order, skipping a workload once it has all its servers).
  std::string placement = "packed";

  int gpu_count() const { return server_count * server.gpus; }
};

enum class TrainingPrecision { BF16, FP8 };
enum class RecomputeMode { None, Selective, Full };

/// A training job (pre-training or fine-tuning) on one cluster.
struct TrainingWorkload {
  std::string name;
  std::string purpose;  ///< "pre-training" or "fine-tuning" (same physics, reported)
  std::string cluster;  ///< ClusterConfig name
  ModelSpec model;
  double tokens = 0;       ///< tokens to train on; 0 when `steps` is given
  std::int64_t steps = 0;  ///< iterations; 0 when `tokens` is given
  int seq_len = 0;
  int global_batch = 0;                ///< sequences per iteration
  int micro_batch = 0;                 ///< 0 = the largest that fits (chosen by the estimate)
  int tp = 1, pp = 1, dp = 0, cp = 1;  ///< dp 0 = GPUs / (tp pp cp)
  int vpp = 1;                         ///< virtual pipeline stages (interleaved 1F1B)
  int ep = 1;  ///< expert-parallel size (MoE models), carved out of dp x cp; not in the GPU product
  int zero_stage = 1;
  RecomputeMode recompute = RecomputeMode::None;
  TrainingPrecision precision = TrainingPrecision::BF16;
  double checkpoint_interval_s = 0;  ///< 0 = no checkpoints
  DataLoadingSpec data_loading;      ///< input data read from the cluster's storage (none: 0s)
  /// false: training waits while the checkpoint is written (synchronous save); true: each
  /// writer copies its shard to host memory (training waits for that copy only), then writes it
  /// in the background while training goes on (PyTorch DCP async_save, Megatron --async-save).
  bool checkpoint_async = false;
  bool overlap_dp_comm = true;   ///< data-parallel collectives hide behind compute
  bool overlap_tp_comm = false;  ///< tensor-parallel transfers hide behind the GEMMs
  bool grad_reduce_fp32 = true;  ///< gradients reduced over dp in fp32 (else bf16)
  AttentionKernel attention = AttentionKernel::Fused;  ///< scores materialized or not
  bool sequence_parallel = true;                       ///< with tp > 1
  bool dropout = false;                                ///< hidden and attention dropout
  bool grad_accumulation_fusion = true;  ///< wgrad GEMMs accumulate into fp32 main grads
  bool fused_cross_entropy = false;      ///< single-pass loss kernel, not ops on fp32 logits
  /// Servers of the cluster the job runs on (placed by ClusterConfig::placement, sharing the
  /// fabric with the cluster's other placed workloads); 0 = the whole cluster, alone.
  int servers = 0;
};

/// Owning versus renting, and the TCO parameters.
struct EconomicsConfig {
  std::string ownership = "own";  ///< "own" or "rent": which cost is the headline
  EconomicsSpec params;           ///< electricity, PUE, lifetimes, maintenance
  CloudPriceSpec rental;          ///< the hourly rate renting would cost per GPU
  /// True when the scenario names the rate: it then prices every cluster, even one whose GPU
  /// differs from the rate's; a default (the newest catalog rate for the first cluster's GPU)
  /// prices only clusters of that GPU.
  bool rental_explicit = false;
};

/// The TCO values that price `cluster`: its site's when it names one, else economics.tco.
inline const EconomicsSpec& cluster_tco(const ClusterConfig& cluster,
                                        const EconomicsConfig& economics) {
  return cluster.site_economics ? *cluster.site_economics : economics.params;
}

/// What the plan must achieve; a missed target makes `capsim run` exit with code 1.
struct Targets {
  std::optional<double> deadline_s;
  std::optional<double> budget_usd;
};

/// Random slowness of GPUs in the `simulate` fidelity, drawn from run.seed (Variability.hpp).
struct VariabilityConfig {
  double gpu_jitter = 0.0;  ///< sigma: a GPU's compute in an iteration takes 1 + |z| sigma longer
  int slow_servers = 0;     ///< servers of each cluster slow for the whole run, drawn at random
  double slowdown = 0.2;    ///< how much longer a slow server's GPUs compute (0.2 = 20%)
};

struct RunSettings {
  std::string fidelity = "estimate";
  std::uint64_t seed = 1;
  /// run.calibration: "PROFILE" or "GPU_ID=PROFILE" as written (CalibrationProfile.hpp); the
  /// clusters' GPUs already carry the fitted figures.
  std::vector<std::string> calibration;
  int iterations = 1;  ///< iterations the `simulate` fidelity plays per training workload
  VariabilityConfig variability;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string source_file;        ///< where it was loaded from ("<text>" if parsed from memory)
  std::vector<SiteConfig> sites;  ///< infrastructure.sites, in file order (may be empty)
  std::vector<ClusterConfig> clusters;
  std::vector<TrainingWorkload> training;
  std::vector<InferenceService> services;  ///< workloads of kind inference, in file order
  EconomicsConfig economics;
  Targets targets;
  RunSettings run;
  std::string effective_yaml;  ///< the YAML after --set overrides, echoed into reports

  const ClusterConfig& cluster(const std::string& name) const;
};

/// A command-line override: dotted key path ("workloads[0].tokens" or "workloads.0.tokens") and a
/// YAML value text.
struct KeyOverride {
  std::string key_path;
  std::string value;
};

/// Parses "key.path=value"; throws InputError if there is no '=' or the key is empty.
KeyOverride parse_key_override(const std::string& text);

/// Splits a key path, "workloads[0].tokens" or "workloads.0.tokens", into its parts
/// {"workloads", "0", "tokens"} (the spelling of --set and of error messages).
std::vector<std::string> split_key_path(const std::string& path);

/// Parses scenario YAML text. `file` names it in error messages. Throws InputError.
Scenario parse_scenario(const std::string& text, const std::string& file, const Catalog& catalog,
                        const std::vector<KeyOverride>& overrides = {});

/// Reads and parses a scenario file. Throws InputError (missing file, syntax, keys, values).
Scenario load_scenario(const std::string& path, const Catalog& catalog,
                       const std::vector<KeyOverride>& overrides = {});

}  // namespace capsim
