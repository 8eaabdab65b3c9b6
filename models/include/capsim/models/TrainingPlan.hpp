// A training workload planned on a cluster in closed form: the topology built from the fabric,
// the communication paths of each parallel group, the iteration estimate, checkpoint stalls, the
// time to train and the cost. This is the `estimate` fidelity; the simulator replays the same
// costs in time.
#pragma once

#include <string>
#include <vector>

#include "capsim/models/Cost.hpp"
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
  double bisection_Bps = 0;        ///< per direction
  int max_switch_hops = 0;         ///< GPU 0 to the farthest GPU
  double storage_read_Bps = 0;     ///< all storage units together, limited by their fabric ports
  double storage_write_Bps = 0;
  double storage_capacity_bytes = 0;
  Inventory inventory;
  CostRates cost;
};

/// Builds the topology, checks it (radix, reachability) and prices it. Throws
/// ConfigurationError when the fabric cannot connect the servers.
ClusterPlan plan_cluster(const ClusterConfig& cluster, const EconomicsConfig& economics);

/// The FabricSpec (plain numbers) of a cluster's scenario description.
FabricSpec fabric_spec(const ClusterConfig& cluster);

/// A training workload's figures on its cluster.
struct TrainingPlan {
  std::string workload;
  std::string cluster;
  TrainingLayout layout;           ///< with dp and micro_batch resolved
  bool micro_batch_chosen = false; ///< true when the scenario left micro_batch to capsim
  GpuPerformance gpu;
  CommPaths comm;
  TrainingEstimate estimate;
  double steps = 0;                ///< iterations to run (from tokens, rounded up, or given)
  double tokens = 0;               ///< tokens processed by those steps
  double checkpoint_bytes = 0;     ///< weights + optimizer states of the whole model
  double checkpoint_write_s = 0;   ///< one checkpoint at the storage's write bandwidth
  double checkpoints = 0;          ///< how many are written during the run
  double compute_time_s = 0;       ///< steps x iteration time
  double checkpoint_stall_s = 0;   ///< checkpoints x checkpoint_write_s (training waits)
  double time_to_train_s = 0;      ///< compute_time_s + checkpoint_stall_s
  RunCost cost;
  std::vector<std::string> assumptions;  ///< what the numbers rest on, for the reports
};

/// Plans `job` on `cluster` (whose ClusterPlan is `cluster_plan`). Throws ConfigurationError for
/// parallel sizes that do not match the GPU count, or a layout that does not fit in memory
/// (the message shows the per-GPU memory breakdown).
TrainingPlan plan_training(const TrainingWorkload& job, const ClusterConfig& cluster,
                           const ClusterPlan& cluster_plan);

}  // namespace capsim
