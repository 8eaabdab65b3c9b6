// The parallel-layout search behind `capsim search`: for one training job on one cluster, every
// layout of the search space (tensor, pipeline, context and data parallel sizes, micro-batch,
// ZeRO stage, recomputation) is estimated in closed form, those that are invalid or do not fit in
// GPU memory are dropped and the rest are ranked by iteration time or by the cost of the run.
//
// The search space (SearchSpace, built by search_space()):
// - tp: divisors of the GPUs of one NVLink domain that divide heads and kv_heads (and the GPU
//   count). Tensor parallelism across domains could be estimated honestly (the topology gives any
//   group its path), but practitioners keep TP inside the domain, so the search does too; a
//   scenario layout with a larger tp is still estimated and shown with the rank it would have.
//   Without an NVLink domain (1 GPU per domain) tp is 1.
// - pp: divisors of the GPU count, at most the layer count (uneven stages allowed).
// - cp: divisors of the GPU count that divide seq_len.
// - dp = GPUs / (tp pp cp), a whole number that divides global_batch.
// - ep (mixture-of-experts models only; 1 for dense ones): divisors of moe_experts that divide
//   dp x cp (expert parallelism is carved out of the data- and context-parallel ranks).
// - micro-batch: every power of two dividing global_batch / dp.
// - vpp (virtual pipeline stages, interleaved 1F1B): 1, and with pp >= 2 the powers of two
//   2, 4, ... with at least one layer per virtual stage (pp x vpp <= layers); the estimate
//   rejects those whose micro-batches do not come in whole rounds of pp.
// - ZeRO stage 0-3; with dp = 1 only 0 (ZeRO shards over dp: stages 1-3 equal 0 there), unless
//   an MoE layout's experts have an expert-data-parallel group (dp x cp / ep) larger than 1.
// - recompute none, selective, full.
// Precision, global batch and seq_len are the job's, not layout choices.
//
// Per layout the memory estimate runs first (cheap) and the full estimate only when it fits.
// Everything else comes from plan_training's own building blocks (TrainingPlan.hpp): the model
// shape, the GPU's performance, the job's layout settings, each parallel group's link, the
// micro-batch choice and the run's time to train and cost, so the search ranks exactly what
// `capsim run` would report for each layout. A group's link depends only on its size and rank
// stride, so each is resolved once per search (CommPathCache).
// Layout estimates are pure, so the same inputs give the same list, ties broken on the layout
// itself (tp, pp, vpp, dp, cp, ep, micro-batch, ZeRO, recompute, ascending).
#pragma once

#include <string>
#include <vector>

#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingEstimate.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {

/// What the list is ordered by.
enum class SearchObjective {
  Time,  ///< iteration time (and so time to train)
  Cost,  ///< cost of the run at the cluster's owned or rented $/h (see SearchOptions::rent)
};

/// Candidate values of each enumerated layout dimension; dp and micro-batch follow from these.
struct SearchSpace {
  std::vector<int> tp;  ///< ascending
  std::vector<int> pp;  ///< ascending
  std::vector<int> cp;  ///< ascending
  /// Expert-parallel candidates, ascending: divisors of moe_experts ({1} for a dense model); a
  /// layout takes those that also divide its dp x cp.
  std::vector<int> ep{1};
  /// Virtual pipeline stage candidates, ascending: 1 and powers of two up to layers / 2; a
  /// layout takes those with pp >= 2 and pp x vpp <= layers (1 always).
  std::vector<int> vpp{1};
  std::vector<int> zero_stages{0, 1, 2, 3};
  std::vector<Recompute> recompute{Recompute::None, Recompute::Selective, Recompute::Full};
  int nvlink_domain_gpus = 1;  ///< the domain tp is kept within
};

/// The search space of `job` on `cluster` (rules in the overview).
SearchSpace search_space(const TrainingWorkload& job, const ClusterConfig& cluster);

struct SearchOptions {
  SearchObjective objective = SearchObjective::Time;
  /// Price runs at the rental rate (a scenario with `ownership: rent`); used only when a rate
  /// prices the cluster (ClusterPlan::cost.rental_usd_per_h), else the owned rate, as targets do.
  bool rent = false;
};

/// One layout that fits, with its figures.
struct RankedLayout {
  int rank = 0;           ///< 1-based position in the list
  TrainingLayout layout;  ///< complete: dp and micro_batch set
  double iteration_s = 0;
  double tokens_per_s = 0;
  double mfu = 0;
  double hfu = 0;
  double memory_bytes = 0;     ///< per GPU, the pipeline stage with the largest need
  double time_to_train_s = 0;  ///< steps x iteration_s + checkpoint stalls (as plan_training)
  double cost_usd = 0;         ///< the run at LayoutSearchResult::usd_per_h
};

/// Where the scenario's own layout stands.
enum class OwnLayoutStatus {
  Ranked,        ///< in the list, at `rank`
  OutsideSpace,  ///< fits but is not in the search space (e.g. tp beyond the NVLink domain)
  DoesNotFit,    ///< valid but needs more memory than a GPU has
  Invalid,       ///< the estimate rejects it (sizes that do not divide, ...)
};

struct OwnLayout {
  OwnLayoutStatus status = OwnLayoutStatus::Invalid;
  TrainingLayout layout;  ///< as the scenario gives it, dp and a chosen micro-batch resolved
  bool micro_batch_chosen = false;  ///< the scenario left micro_batch to capsim
  int rank = 0;                     ///< Ranked: its rank; OutsideSpace: the rank it would have
  RankedLayout figures;             ///< Ranked / OutsideSpace only
  std::string note;  ///< why it is not ranked, or how it was matched (ZeRO with dp 1)
};

/// Counters and timing of one search.
struct SearchStats {
  long evaluated = 0;   ///< layouts estimated (memory at least)
  long valid = 0;       ///< accepted by the estimate's checks
  long fitting = 0;     ///< valid and within GPU memory: the list's length
  long comm_paths = 0;  ///< distinct groups of 2+ GPUs (size, rank stride) whose link was resolved
  double seconds = 0;   ///< wall time of search_layouts, all of it
  /// Wall time per evaluated layout, seconds (seconds / evaluated).
  double seconds_per_layout() const { return evaluated > 0 ? seconds / evaluated : 0; }
};

struct LayoutSearchResult {
  SearchSpace space;
  SearchObjective objective = SearchObjective::Time;
  std::vector<RankedLayout> layouts;  ///< every layout that fits, best first
  OwnLayout own;
  SearchStats stats;
  double usd_per_h = 0;  ///< the cluster's hourly cost the runs are priced at
  bool rented = false;   ///< usd_per_h is the rental rate (else owned)
  /// Why `layouts` is empty (none fits: the smallest need found; none valid: the first error);
  /// empty otherwise.
  std::string empty_reason;
};

/// Searches the layouts of `job` on `cluster` (planned as `cluster_plan` by plan_cluster). Throws
/// ConfigurationError for what no layout can change: a model shape the estimate rejects, a GPU
/// without the job's precision, checkpoints on a cluster without storage.
LayoutSearchResult search_layouts(const TrainingWorkload& job, const ClusterConfig& cluster,
                                  const ClusterPlan& cluster_plan,
                                  const SearchOptions& options = {});

/// "time" / "cost".
std::string to_string(SearchObjective objective);

/// "none" / "selective" / "full", as in scenario files.
std::string recompute_label(Recompute recompute);

}  // namespace capsim
