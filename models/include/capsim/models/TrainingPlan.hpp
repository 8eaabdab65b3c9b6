// A training workload planned on a cluster in closed form: the topology built from the fabric,
// the communication paths of each parallel group, the iteration estimate, checkpoint stalls, the
// time to train and the cost. This is the `estimate` fidelity; the simulator replays the same
// costs in time.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "capsim/models/Cost.hpp"
#include "capsim/models/RingContention.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/Topology.hpp"
#include "capsim/models/TrainingEstimate.hpp"

namespace capsim {

/// Figures of a cluster that do not depend on the workload.
struct ClusterPlan {
  std::string name;
  int servers = 0;
  int gpus = 0;
  FabricSpec fabric;
  Topology topology;
  BillOfMaterials bom;
  double bisection_Bps = 0;     ///< per direction
  int max_switch_hops = 0;      ///< GPU 0 to the farthest GPU
  double storage_read_Bps = 0;  ///< all storage units together, limited by their fabric ports
  double storage_write_Bps = 0;
  double storage_capacity_bytes = 0;
  double gpu_host_link_Bps = 0;  ///< each GPU's PCIe link to host memory, per direction
  Inventory inventory;
  CostRates cost;
};

/// Builds the topology, checks it (radix, reachability) and prices it. Throws
/// ConfigurationError when the fabric cannot connect the servers.
ClusterPlan plan_cluster(const ClusterConfig& cluster, const EconomicsConfig& economics);

/// The FabricSpec (plain numbers) of a cluster's scenario description.
FabricSpec fabric_spec(const ClusterConfig& cluster);

// The building blocks of plan_training, public so that the layout search (LayoutSearch.hpp)
// estimates each layout from exactly what `capsim run` would use.

/// The estimate's shape of a scenario model (blocks, widths, heads, vocabulary, MLP kind).
ModelShape model_shape(const ModelSpec& model);

/// What one GPU achieves at `precision`: peak FLOP/s, usable memory (bytes), kernel parameters.
/// Throws ConfigurationError when the GPU has no matmul efficiency for that precision.
GpuPerformance gpu_performance(const GpuSpec& gpu, TrainingPrecision precision);

/// The job's layout as its scenario writes it: tp, pp, cp, ep, dp and micro_batch as given (dp and
/// micro_batch 0 where left to capsim) plus batch, seq_len, ZeRO, recompute, precision, overlap.
TrainingLayout scenario_layout(const TrainingWorkload& job);

/// scenario_layout on `gpus` GPUs: dp = gpus / (tp pp cp) when left out, micro_batch 1 when left
/// out. Throws ConfigurationError when tp x pp x cp x dp is not `gpus`.
TrainingLayout resolve_layout(const TrainingWorkload& job, int gpus);

/// The link of a collective group of `size` GPUs with ranks 0, stride, 2 stride, ...: bandwidth
/// per GPU per direction (B/s: the topology's share times the NCCL bus-bandwidth efficiency of
/// the scope, the GPU's inside an NVLink domain, the NIC's across the fabric) and the latency of
/// its farthest pair (s). A zero link for fewer than 2 GPUs (never used).
CommLink comm_link(const Topology& topology, const ClusterConfig& cluster, int size, int stride);

/// The links of `layout`'s parallel groups, ranks ordered tp fastest, then cp, dp, pp
/// (Megatron-LM's default "tp-cp-ep-dp-pp"); pp is the link between adjacent stages. The dp
/// contention says how the job's data-parallel rings slow each other when they route their
/// edges over the fabric at once (RingContention.hpp). With ep > 1
/// the EP group is ep consecutive ranks of the cp x dp data dimension (stride tp) and the
/// expert-data-parallel group the dp cp / ep ranks at stride tp ep (Megatron-Core's MoE parallel
/// folding); with ep 1 neither is resolved (zero links).
CommPaths comm_paths(const Topology& topology, const ClusterConfig& cluster,
                     const TrainingLayout& layout);

/// comm_link and comm_paths with each (size, stride) resolved once: a group's link depends on
/// nothing else, so many layouts share a few links. `topology` and `cluster` must outlive it.
class CommPathCache {
 public:
  CommPathCache(const Topology& topology, const ClusterConfig& cluster);
  /// comm_link(topology, cluster, size, stride), computed on the first request only.
  CommLink link(int size, int stride);
  /// comm_paths(topology, cluster, layout) from the cached links.
  CommPaths paths(const TrainingLayout& layout);
  /// Distinct groups of 2+ GPUs (size, stride) resolved so far.
  long groups() const { return static_cast<long>(links_.size()); }

 private:
  const Topology* topology_;
  const ClusterConfig* cluster_;
  std::unordered_map<std::uint64_t, CommLink> links_;  ///< by size << 32 | stride
  /// dp_rings_shared by (tp x cp, dp, pp)
  std::map<std::array<int, 3>, SharedRings> shared_rings_;
};

/// The micro-batch plan_training picks when the scenario leaves it out: of the powers of two that
/// divide global_batch / dp and fit in memory, the one with the shortest iteration; 1 when none
/// fits or dp does not divide the batch. `layout.micro_batch` is ignored.
int choose_micro_batch(const ModelShape& model, TrainingLayout layout, const GpuPerformance& gpu,
                       const CommPaths& comm, int gpus);

/// The job's input reads from the cluster's storage (DataLoading.hpp) at `estimate`'s iteration
/// time; a stall, when the storage cannot keep up, is added to `estimate`. Throws
/// ConfigurationError when the job reads data and the cluster has no storage.
InputLoad apply_data_loading(const TrainingWorkload& job, const ClusterPlan& cluster_plan,
                             TrainingEstimate& estimate);

/// The length and cost of a run, from its iteration time (TrainingPlan's fields of the same name).
struct RunFigures {
  double steps = 0;               ///< iterations to run (from tokens, rounded up, or given)
  double tokens = 0;              ///< tokens processed by those steps
  double checkpoint_bytes = 0;    ///< weights + optimizer states of the whole model
  double checkpoint_write_s = 0;  ///< one checkpoint at the storage's write bandwidth
  double checkpoints = 0;         ///< how many are written during the run
  /// Asynchronous checkpoints: each writer's copy of its shard to host memory (training waits
  /// for it); 0 when synchronous.
  double checkpoint_snapshot_s = 0;
  double compute_time_s = 0;  ///< steps x iteration time
  /// Training's wait for checkpoints: synchronous, checkpoints x checkpoint_write_s; asynchronous,
  /// checkpoints x (checkpoint_snapshot_s + what of the write outlasts the interval).
  double checkpoint_stall_s = 0;
  double time_to_train_s = 0;  ///< compute_time_s + checkpoint_stall_s
  RunCost cost;                ///< the run at the cluster's owned (and rented) $/h
};

/// GPUs (of `gpus`) that write a checkpoint, each an equal share: every GPU when the optimizer
/// states are sharded (ZeRO >= 1, Megatron's distributed optimizer and distributed checkpoint),
/// else the tp x pp GPUs of the first data-parallel (and context-parallel) replica.
int checkpoint_writers(int zero_stage, int tp, int pp, int gpus);

/// One checkpoint's stall in closed form: the write (synchronous) or the copy to host memory
/// plus what of the write outlasts the interval (asynchronous).
double checkpoint_stall_per_checkpoint_s(const TrainingWorkload& job, const RunFigures& run);

/// `job` run on `cluster_plan` at `iteration_s` seconds per step with a model of `parameters`
/// parameters (all of them). Throws ConfigurationError when the job asks for checkpoints and the
/// cluster has no storage.
RunFigures run_figures(const TrainingWorkload& job, const ClusterPlan& cluster_plan,
                       double parameters, double iteration_s);

/// A training workload's figures on its cluster.
struct TrainingPlan {
  std::string workload;
  std::string cluster;
  TrainingLayout layout;            ///< with dp and micro_batch resolved
  bool micro_batch_chosen = false;  ///< true when the scenario left micro_batch to capsim
  GpuPerformance gpu;
  CommPaths comm;
  TrainingEstimate estimate;         ///< input stalls included (breakdown.input_stall_s)
  InputLoad input;                   ///< reading the job's data from storage (none: all 0)
  double steps = 0;                  ///< iterations to run (from tokens, rounded up, or given)
  double tokens = 0;                 ///< tokens processed by those steps
  double checkpoint_bytes = 0;       ///< weights + optimizer states of the whole model
  double checkpoint_write_s = 0;     ///< one checkpoint at the storage's write bandwidth
  double checkpoints = 0;            ///< how many are written during the run
  double checkpoint_snapshot_s = 0;  ///< RunFigures::checkpoint_snapshot_s
  double compute_time_s = 0;         ///< steps x iteration time
  double checkpoint_stall_s = 0;     ///< RunFigures::checkpoint_stall_s (training waits)
  double time_to_train_s = 0;        ///< compute_time_s + checkpoint_stall_s
  RunCost cost;
  std::vector<std::string> assumptions;  ///< what the numbers rest on, for the reports
};

/// The iteration alone: `job`'s resolved layout (micro-batch chosen when 0), its GPU, links and
/// estimate, whether or not it fits in memory (estimate.memory.fits says); no run figures, cost
/// or assumptions. Throws ConfigurationError (naming workload and cluster) for parallel sizes
/// that do not match the GPU count or a layout that cannot run.
TrainingPlan plan_iteration(const TrainingWorkload& job, const ClusterConfig& cluster,
                            const ClusterPlan& cluster_plan);

/// Plans `job` on `cluster` (whose ClusterPlan is `cluster_plan`). Throws ConfigurationError for
/// parallel sizes that do not match the GPU count, or a layout that does not fit in memory
/// (the message shows the per-GPU memory breakdown).
TrainingPlan plan_training(const TrainingWorkload& job, const ClusterConfig& cluster,
                           const ClusterPlan& cluster_plan);

}  // namespace capsim
