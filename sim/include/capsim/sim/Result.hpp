// What a run produces: the plans of every cluster and workload, the targets checked against them,
// and the inputs that produced it. Reports (Report.hpp) render it; the JSON report is complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capsim/models/Scenario.hpp"
#include "capsim/models/ServicePlan.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/JobsSimulation.hpp"
#include "capsim/sim/ServingSimulation.hpp"
#include "capsim/sim/Variability.hpp"

namespace capsim {

/// One target of the scenario and whether the plan meets it.
struct TargetCheck {
  /// "deadline", "budget" (training); "ttft_p99", "tpot_p50", "e2e_p90", ... (seconds) or
  /// "goodput" (a fraction) for services
  std::string name;
  std::string workload;  ///< the workload it was checked on
  double limit = 0;      ///< seconds or USD
  double value = 0;      ///< what the plan achieves, same unit
  bool met = false;
};

/// The `simulate` fidelity's outcome for one training workload: run.iterations iterations
/// played out in SimGrid (JobsSimulation.hpp) as the scenario runs them (sharing the fabric with
/// the cluster's other placed workloads, with the drawn slow GPUs), or why they were not.
struct SimulationOutcome {
  bool simulated = false;
  std::string reason;               ///< why not, when !simulated
  double iteration_s = 0;           ///< mean simulated iteration
  double pipeline_s = 0;            ///< the first iteration's 1F1B pipeline, transfers included
  double dp_comm_s = 0;             ///< its longest data-parallel time after the last backward
  bool dp_comm_as_flows = false;    ///< the gradient rings ran as flows, else closed form
  double estimate_iteration_s = 0;  ///< the estimate's iteration, for comparison
  /// The run at the estimate's iteration (time to train, s, and its cost); once simulated, the
  /// TrainingPlan's time to train and cost are those of the mean simulated iteration instead.
  double estimate_time_to_train_s = 0;
  RunCost estimate_cost;
  std::vector<double> iteration_times_s;  ///< every simulated iteration, in order
  IterationStats stats;                   ///< their distribution
  std::vector<std::string> shared_with;   ///< workloads sharing the fabric in the same run
  /// Mean iteration of the same workload, servers and slow GPUs simulated alone (0 unless
  /// shared_with is non-empty).
  double alone_iteration_s = 0;
  /// Activities (computations and transfers) the simulation that played it ran, all its jobs.
  std::uint64_t events = 0;
  /// The checkpoint played after the first iteration (checkpoint.played false when the run
  /// writes none): its stall, write time and, asynchronous, the slowdown of the iterations
  /// that overlapped it. Once simulated, the TrainingPlan's checkpoint_stall_s is the run's
  /// checkpoints x checkpoint_cost_s().
  CheckpointTiming checkpoint;
  double estimate_checkpoint_stall_s = 0;  ///< the closed form's, the whole run's checkpoints
  /// Why the run's checkpoints were not simulated although it writes some (the closed form's
  /// stall is kept); empty otherwise.
  std::string checkpoint_not_simulated;

  /// (iteration_s - estimate_iteration_s) / estimate_iteration_s; 0 when not simulated.
  double relative_difference() const;
  /// iteration_s / alone_iteration_s - 1: what sharing the fabric costs; 0 when alone.
  double contention_slowdown() const;
  /// The iteration the run is timed by: iteration_s less the checkpoint's slowdown spread over
  /// the simulated iterations (the mean of the iterations that did not overlap an asynchronous
  /// write), since that slowdown is charged with each checkpoint instead; iteration_s otherwise.
  double run_iteration_s() const;
  /// What one simulated checkpoint costs the run: its stall plus the slowdown of the iterations
  /// it overlapped (asynchronous) plus, asynchronous, what of the write outlasts
  /// `interval_s` (the next checkpoint waits for it); 0 when none was played.
  double checkpoint_cost_s(bool async, double interval_s) const;
};

/// The `simulate` fidelity's outcome for one inference service (ServingSimulation.hpp) and what
/// it cost, or why it was not simulated.
struct ServiceOutcome {
  bool simulated = false;
  std::string reason;        ///< why not, when !simulated
  ServiceStats stats;        ///< without per-request records
  std::uint64_t events = 0;  ///< of the simulation that played every service of the scenario
  double hours = 0;          ///< simulated span: stats.end_s / 3600
  /// Owned: the service's servers' share of the cluster's owned cost per hour, over the span
  /// (owned servers cost the same whether replicas run on them or not).
  double owned_usd = 0;
  /// Rented: GPU-hours of the replicas alive (starting included) x the rental rate.
  std::optional<double> rented_usd;
  double owned_usd_per_million_output_tokens = 0;
  std::optional<double> rented_usd_per_million_output_tokens;
};

struct Result {
  std::string capsim_version;
  std::string scenario_name;
  std::string scenario_description;
  std::string scenario_file;
  std::string fidelity;
  std::uint64_t seed = 0;
  std::string ownership;  ///< which cost is the headline: "own" or "rent"
  EconomicsConfig economics;
  std::vector<SiteConfig> sites;               ///< the scenario's sites (may be empty)
  std::vector<ClusterConfig> cluster_configs;  ///< the scenario's clusters, as parsed
  std::vector<ClusterPlan> clusters;           ///< same order as cluster_configs
  std::vector<TrainingWorkload> workloads;     ///< the scenario's training jobs, as parsed
  std::vector<TrainingPlan> training;          ///< same order as workloads
  std::vector<SimulationOutcome> simulations;  ///< same order; empty unless fidelity is simulate
  /// Servers each training workload runs on, same order as workloads (ClusterConfig::placement);
  /// empty for a workload that takes its whole cluster.
  std::vector<std::vector<int>> placements;
  /// The cluster of its own servers each placed workload was planned and priced on (same order
  /// as workloads; empty for a workload on its whole cluster).
  std::vector<std::optional<ClusterPlan>> placed_clusters;
  /// Servers the variability model made slow, per cluster (same order; empty lists when none or
  /// not simulated).
  std::vector<std::vector<int>> slow_servers;
  std::vector<TraceSpan> trace;  ///< recorded when RunOptions::trace; TraceSpan::job = workload
  std::vector<InferenceService> services;        ///< the scenario's inference services
  std::vector<ServicePlan> service_plans;        ///< same order: the estimate's answer
  std::vector<ServiceOutcome> service_outcomes;  ///< same order; empty unless simulate
  std::vector<TargetCheck> targets;
  std::string effective_yaml;  ///< the scenario as run, after --set overrides

  /// True when every target is met (or none is stated).
  bool targets_met() const;
};

}  // namespace capsim
