// The layout search: its enumeration is counted by hand on small cases, every listed layout is
// re-planned with plan_training (the independent route from scenario to figures) and the
// scenario's own layout is checked against the list it is ranked in.
#include "capsim/models/LayoutSearch.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "ShippedCatalog.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

const Catalog& catalog() { return test::shipped_catalog(); }

// 2 DGX H100 = 16 GPUs in two NVLink domains of 8. Llama 3.1 8B cut to 2 layers and 2 KV heads
// so that the space is small enough to list by hand:
//   tp: divisors of 8 dividing heads 32 and kv_heads 2      -> {1, 2}
//   pp: divisors of 16, at most 2 layers                    -> {1, 2}
//   cp: divisors of 16 dividing seq_len 4096                -> {1, 2, 4, 8, 16}
//   dp = 16 / (tp pp cp) must divide global_batch 2         -> tp pp cp = 16 or 8:
//     dp 1: (tp, pp, cp) = (1,1,16) (1,2,8) (2,1,8) (2,2,4)
//     dp 2: (tp, pp, cp) = (1,1,8)  (1,2,4) (2,1,4) (2,2,2)
//   micro-batch: powers of two dividing 2 / dp              -> dp 1: {1, 2}; dp 2: {1}
//   ZeRO: dp 1 -> {0} (nothing to shard); dp 2 -> {0, 1, 2, 3}
//   recompute: none, selective, full                        -> 3
// Layouts: 4 x 2 x 1 x 3 = 24 (dp 1) + 4 x 1 x 4 x 3 = 48 (dp 2) = 72. Two layers of an 8B
// model fit in 80 GB whatever the layout, and tp <= 2 divides every seq_len / cp here, so all
// 72 are valid and fit.
const std::string kSmall = R"(name: search-small
infrastructure:
  clusters:
    - name: pair
      server: dgx-h100
      count: 2
      fabric: {template: single-switch, switch: quantum-2-qm9700}
workloads:
  - name: small
    kind: training
    model: {id: llama-3.1-8b, layers: 2, kv_heads: 2}
    steps: 100
    seq_len: 4096
    global_batch: 2
    parallelism: {tp: 2, pp: 2, cp: 2}
    zero_stage: 1
economics:
  rental: "$2.00/h"
)";

// 4 DGX H100 = 32 GPUs, Llama 3.1 70B with checkpoints: many layouts do not fit, some do.
const std::string kMedium = R"(name: search-medium
infrastructure:
  clusters:
    - name: lab
      server: dgx-h100
      count: 4
      fabric: {template: single-switch, switch: quantum-2-qm9700}
      storage: [{system: ddn-ai400x2, count: 1}]
workloads:
  - name: medium
    kind: training
    model: llama-3.1-70b
    tokens: 2B
    seq_len: 4096
    global_batch: 32
    parallelism: {tp: 8, pp: 2}
    zero_stage: 1
    checkpoint: {interval: 30min}
economics:
  ownership: rent
  rental: "$2.50/h"
)";

struct Searched {
  Scenario scenario;
  ClusterPlan cluster;
  LayoutSearchResult result;
  const TrainingWorkload& job() const { return scenario.training.at(0); }
};

// Searches the scenario's first workload, pricing runs per its ownership as `capsim search` does.
Searched search(const std::string& yaml, const std::vector<std::string>& settings = {},
                SearchObjective objective = SearchObjective::Time) {
  std::vector<KeyOverride> overrides;
  for (const auto& setting : settings) overrides.push_back(parse_key_override(setting));
  Searched s{parse_scenario(yaml, "search.yaml", catalog(), overrides), {}, {}};
  s.cluster = plan_cluster(s.scenario.clusters.at(0), s.scenario.economics);
  SearchOptions options;
  options.objective = objective;
  options.rent = s.scenario.economics.ownership == "rent";
  s.result = search_layouts(s.job(), s.scenario.clusters.at(0), s.cluster, options);
  return s;
}

auto key(const TrainingLayout& l) {
  return std::make_tuple(l.tp, l.pp, l.vpp, l.dp, l.cp, l.ep, l.micro_batch, l.zero_stage,
                         static_cast<int>(l.recompute));
}

// The job with `layout` written into its scenario fields, as a user would.
TrainingWorkload with_layout(TrainingWorkload job, const TrainingLayout& l) {
  job.tp = l.tp;
  job.pp = l.pp;
  job.vpp = l.vpp;
  job.ep = l.ep;
  job.cp = l.cp;
  job.dp = l.dp;
  job.micro_batch = l.micro_batch;
  job.zero_stage = l.zero_stage;
  job.recompute = l.recompute == Recompute::Full        ? RecomputeMode::Full
                  : l.recompute == Recompute::Selective ? RecomputeMode::Selective
                                                        : RecomputeMode::None;
  return job;
}

TEST(LayoutSearch, SearchSpaceFollowsTheRules) {
  const Searched s = search(kSmall);
  EXPECT_EQ(s.result.space.tp, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.result.space.pp, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.result.space.cp, (std::vector<int>{1, 2, 4, 8, 16}));
  EXPECT_EQ(s.result.space.nvlink_domain_gpus, 8);
  // Full model: kv_heads 8 lets tp reach the whole domain; 32 layers cap pp at 16 of 16 GPUs.
  const Searched full = search(kSmall, {"workloads[0].model=llama-3.1-8b"});
  EXPECT_EQ(full.result.space.tp, (std::vector<int>{1, 2, 4, 8}));
  EXPECT_EQ(full.result.space.pp, (std::vector<int>{1, 2, 4, 8, 16}));
  // Virtual stages: 2 layers leave no room for interleaving; 32 allow vpp up to 16 (pp 2).
  EXPECT_EQ(s.result.space.vpp, (std::vector<int>{1}));
  EXPECT_EQ(full.result.space.vpp, (std::vector<int>{1, 2, 4, 8, 16}));
  // Every listed interleaved layout has a pipeline, a layer per virtual stage and whole rounds
  // of pp micro-batches; some are listed.
  int interleaved = 0;
  for (const RankedLayout& r : full.result.layouts) {
    const TrainingLayout& l = r.layout;
    if (l.vpp == 1) continue;
    ++interleaved;
    EXPECT_GE(l.pp, 2);
    EXPECT_LE(l.pp * l.vpp, 32);
    EXPECT_EQ((l.global_batch / (l.dp * l.micro_batch)) % l.pp, 0);
  }
  EXPECT_GT(interleaved, 0);
}

TEST(LayoutSearch, EnumerationCountMatchesTheHandCount) {
  const Searched s = search(kSmall);
  EXPECT_EQ(s.result.stats.evaluated, 72);
  EXPECT_EQ(s.result.stats.valid, 72);
  EXPECT_EQ(s.result.stats.fitting, 72);
  ASSERT_EQ(s.result.layouts.size(), 72u);
  std::set<decltype(key(TrainingLayout{}))> keys;
  int dp1 = 0;
  for (const auto& r : s.result.layouts) {
    keys.insert(key(r.layout));
    dp1 += r.layout.dp == 1;
    if (r.layout.dp == 1) {
      EXPECT_EQ(r.layout.zero_stage, 0);
    }
  }
  EXPECT_EQ(keys.size(), 72u);  // no duplicates
  EXPECT_EQ(dp1, 24);
  EXPECT_TRUE(s.result.empty_reason.empty());
}

TEST(LayoutSearch, EachGroupLinkIsResolvedOnce) {
  // A group's link depends only on its size and rank stride (ranks ordered tp, cp, dp, pp), so
  // the search resolves each distinct group of more than one GPU once, over the listed layouts
  // (all 72 fit, the own layout, TP2 PP2 CP2 DP2, among them).
  const Searched s = search(kSmall);
  std::set<std::pair<int, int>> groups;
  auto add = [&](int size, int stride) {
    if (size > 1) groups.insert({size, stride});
  };
  for (const auto& r : s.result.layouts) {
    const TrainingLayout& l = r.layout;
    add(l.tp, 1);
    add(l.cp, l.tp);
    add(l.dp, l.tp * l.cp);
    add(std::min(l.pp, 2), l.tp * l.cp * l.dp);
  }
  EXPECT_EQ(s.result.stats.comm_paths, static_cast<long>(groups.size()));
}

TEST(LayoutSearch, CachedLinksAreThePlansLinks) {
  // CommPathCache gives what comm_paths (plan_training's) gives, counting groups of 2+ GPUs.
  const Searched s = search(kSmall);
  const ClusterConfig& cluster = s.scenario.clusters[0];
  CommPathCache cache(s.cluster.topology, cluster);
  for (const auto& r : s.result.layouts) {
    const CommPaths cached = cache.paths(r.layout);
    const CommPaths direct = comm_paths(s.cluster.topology, cluster, r.layout);
    SCOPED_TRACE("TP" + std::to_string(r.layout.tp) + " PP" + std::to_string(r.layout.pp) + " CP" +
                 std::to_string(r.layout.cp) + " DP" + std::to_string(r.layout.dp));
    EXPECT_EQ(cached.tp.bandwidth_Bps, direct.tp.bandwidth_Bps);
    EXPECT_EQ(cached.cp.bandwidth_Bps, direct.cp.bandwidth_Bps);
    EXPECT_EQ(cached.dp.bandwidth_Bps, direct.dp.bandwidth_Bps);
    EXPECT_EQ(cached.pp.bandwidth_Bps, direct.pp.bandwidth_Bps);
    EXPECT_EQ(cached.dp.latency_s, direct.dp.latency_s);
    EXPECT_EQ(cached.pp.latency_s, direct.pp.latency_s);
  }
  EXPECT_EQ(cache.groups(), s.result.stats.comm_paths);
  // One GPU is no group: a zero link, not cached.
  EXPECT_EQ(cache.link(1, 4).bandwidth_Bps, 0);
  EXPECT_EQ(cache.groups(), s.result.stats.comm_paths);
  // Across both servers the link is the NIC's, inside one the NVLink domain's.
  EXPECT_DOUBLE_EQ(cache.link(2, 8).bandwidth_Bps,
                   comm_link(s.cluster.topology, cluster, 2, 8).bandwidth_Bps);
  EXPECT_LT(cache.link(2, 8).bandwidth_Bps, cache.link(2, 1).bandwidth_Bps);
}

TEST(LayoutSearch, EveryListedLayoutFitsAndUsesEveryGpu) {
  const Searched s = search(kMedium);
  const double capacity = s.scenario.clusters[0].gpu.memory_bytes;
  ASSERT_FALSE(s.result.layouts.empty());
  EXPECT_LT(s.result.stats.fitting, s.result.stats.valid);  // the 70B drops many layouts
  EXPECT_LE(s.result.stats.valid, s.result.stats.evaluated);
  EXPECT_EQ(s.result.stats.fitting, static_cast<long>(s.result.layouts.size()));
  for (const auto& r : s.result.layouts) {
    const TrainingLayout& l = r.layout;
    EXPECT_EQ(l.tp * l.pp * l.cp * l.dp, 32);
    EXPECT_EQ(l.global_batch % (l.dp * l.micro_batch), 0);
    EXPECT_EQ(l.micro_batch & (l.micro_batch - 1), 0);  // a power of two
    EXPECT_EQ(8 % l.tp, 0);                             // inside one NVLink domain
    EXPECT_GT(r.memory_bytes, 0);
    EXPECT_LE(r.memory_bytes, capacity);
    EXPECT_GT(r.mfu, 0);
    EXPECT_LT(r.mfu, 1);
  }
}

TEST(LayoutSearch, ListIsSortedWithRanksAndStableTieBreak) {
  const Searched s = search(kMedium);
  const auto& list = s.result.layouts;
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].rank, static_cast<int>(i) + 1);
    if (i == 0) continue;
    EXPECT_LE(list[i - 1].iteration_s, list[i].iteration_s);
    if (list[i - 1].iteration_s == list[i].iteration_s) {
      EXPECT_LT(key(list[i - 1].layout), key(list[i].layout));
    }
  }
  // The same inputs give the same list.
  const Searched again = search(kMedium);
  ASSERT_EQ(again.result.layouts.size(), list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(key(again.result.layouts[i].layout), key(list[i].layout));
    EXPECT_EQ(again.result.layouts[i].iteration_s, list[i].iteration_s);
  }
}

TEST(LayoutSearch, ListedFiguresEqualPlanTrainingOfThatLayout) {
  // plan_training resolves the layout, computes its own communication paths and steps,
  // checkpoints and cost: the search must reproduce it for the best layout and a sample.
  const Searched s = search(kMedium);
  const auto& list = s.result.layouts;
  ASSERT_GT(list.size(), 10u);
  EXPECT_TRUE(s.result.rented);  // ownership: rent with a rate
  EXPECT_DOUBLE_EQ(s.result.usd_per_h, *s.cluster.cost.rental_usd_per_h);
  for (std::size_t i = 0; i < list.size(); i += (i < 5 ? 1 : 7)) {
    const RankedLayout& r = list[i];
    SCOPED_TRACE("rank " + std::to_string(r.rank));
    const TrainingPlan plan =
        plan_training(with_layout(s.job(), r.layout), s.scenario.clusters[0], s.cluster);
    EXPECT_DOUBLE_EQ(r.iteration_s, plan.estimate.iteration_s);
    EXPECT_DOUBLE_EQ(r.tokens_per_s, plan.estimate.tokens_per_s);
    EXPECT_DOUBLE_EQ(r.mfu, plan.estimate.mfu);
    EXPECT_DOUBLE_EQ(r.memory_bytes, plan.estimate.memory.total_bytes);
    EXPECT_DOUBLE_EQ(r.time_to_train_s, plan.time_to_train_s);
    ASSERT_TRUE(plan.cost.rented_usd.has_value());
    EXPECT_NEAR(r.cost_usd, *plan.cost.rented_usd, 1e-9 * *plan.cost.rented_usd);
  }
}

TEST(LayoutSearch, CostObjectiveRanksAsTimeOnOneCluster) {
  const Searched by_time = search(kMedium);
  const Searched by_cost = search(kMedium, {}, SearchObjective::Cost);
  ASSERT_EQ(by_cost.result.layouts.size(), by_time.result.layouts.size());
  for (std::size_t i = 0; i < by_time.result.layouts.size(); ++i) {
    EXPECT_EQ(key(by_cost.result.layouts[i].layout), key(by_time.result.layouts[i].layout));
    if (i > 0) {
      EXPECT_LE(by_cost.result.layouts[i - 1].cost_usd, by_cost.result.layouts[i].cost_usd);
    }
  }
  // Owned pricing when the search is not told to rent.
  const Searched owned = search(kMedium, {"economics.ownership=own"}, SearchObjective::Cost);
  EXPECT_FALSE(owned.result.rented);
  EXPECT_DOUBLE_EQ(owned.result.usd_per_h, owned.cluster.cost.owned_usd_per_h);
  const RankedLayout& best = owned.result.layouts.front();
  EXPECT_NEAR(best.cost_usd, owned.cluster.cost.owned_usd_per_h * best.time_to_train_s / 3600,
              1e-9 * best.cost_usd);
}

TEST(LayoutSearch, OwnLayoutRankIsConsistentWithItsTime) {
  const Searched s = search(kMedium, {"workloads[0].micro_batch=1"});
  const OwnLayout& own = s.result.own;
  ASSERT_EQ(own.status, OwnLayoutStatus::Ranked) << own.note;
  const auto& list = s.result.layouts;
  ASSERT_GE(own.rank, 1);
  ASSERT_LE(own.rank, static_cast<int>(list.size()));
  const RankedLayout& listed = list[static_cast<std::size_t>(own.rank - 1)];
  EXPECT_EQ(key(listed.layout), key(own.layout));
  EXPECT_EQ(own.layout.tp, 8);
  EXPECT_EQ(own.layout.pp, 2);
  EXPECT_EQ(own.layout.dp, 2);
  for (const auto& r : list) {
    if (r.rank < own.rank) {
      EXPECT_LE(r.iteration_s, listed.iteration_s);
    } else if (r.rank > own.rank) {
      EXPECT_GE(r.iteration_s, listed.iteration_s);
    }
  }
  // Its figures are the scenario's own plan.
  const TrainingPlan plan = plan_training(s.job(), s.scenario.clusters[0], s.cluster);
  EXPECT_DOUBLE_EQ(own.figures.iteration_s, plan.estimate.iteration_s);
}

TEST(LayoutSearch, OwnLayoutWithChosenMicroBatchIsThePlansChoice) {
  const Searched s = search(kMedium);  // micro_batch left out
  ASSERT_EQ(s.result.own.status, OwnLayoutStatus::Ranked) << s.result.own.note;
  EXPECT_TRUE(s.result.own.micro_batch_chosen);
  const TrainingPlan plan = plan_training(s.job(), s.scenario.clusters[0], s.cluster);
  ASSERT_TRUE(plan.micro_batch_chosen);
  EXPECT_EQ(s.result.own.layout.micro_batch, plan.layout.micro_batch);
  EXPECT_DOUBLE_EQ(s.result.own.figures.iteration_s, plan.estimate.iteration_s);
}

TEST(LayoutSearch, OwnLayoutBeyondTheNvlinkDomainIsShownWithTheRankItWouldHave) {
  // tp 16 spans both servers: not searched, but valid (kv_heads 16) and it fits.
  const Searched s =
      search(kSmall, {"workloads[0].model={id: llama-3.1-8b, layers: 2, kv_heads: 16}",
                      "workloads[0].parallelism={tp: 16}"});
  const OwnLayout& own = s.result.own;
  ASSERT_EQ(own.status, OwnLayoutStatus::OutsideSpace) << own.note;
  EXPECT_NE(own.note.find("NVLink domain of 8"), std::string::npos) << own.note;
  int better = 0;
  for (const auto& r : s.result.layouts) {
    EXPECT_NE(r.layout.tp, 16);
    better += r.iteration_s < own.figures.iteration_s;
  }
  EXPECT_EQ(own.rank, better + 1);  // no exact tie in time here
  const TrainingPlan plan = plan_training(s.job(), s.scenario.clusters[0], s.cluster);
  EXPECT_DOUBLE_EQ(own.figures.iteration_s, plan.estimate.iteration_s);
}

TEST(LayoutSearch, OwnLayoutThatDoesNotFitOrIsInvalidSaysWhy) {
  const Searched big =
      search(kMedium, {"workloads[0].parallelism={tp: 1}", "workloads[0].zero_stage=0",
                       "workloads[0].recompute=none"});
  EXPECT_EQ(big.result.own.status, OwnLayoutStatus::DoesNotFit);
  EXPECT_NE(big.result.own.note.find("does not fit"), std::string::npos) << big.result.own.note;
  EXPECT_EQ(big.result.own.rank, 0);

  const Searched odd = search(kMedium, {"workloads[0].parallelism={tp: 3}"});
  EXPECT_EQ(odd.result.own.status, OwnLayoutStatus::Invalid);
  EXPECT_NE(odd.result.own.note.find("does not divide the cluster's 32 GPUs"), std::string::npos)
      << odd.result.own.note;

  // Valid sizes the estimate rejects: tp 8 does not divide kv_heads 2.
  const Searched heads = search(kSmall, {"workloads[0].parallelism={tp: 8}"});
  EXPECT_EQ(heads.result.own.status, OwnLayoutStatus::Invalid);
  EXPECT_FALSE(heads.result.own.note.empty());
}

TEST(LayoutSearch, ZeroStageWithOneReplicaIsListedAsZeroZero) {
  // TP2 PP2 CP4 on 16 GPUs leaves dp 1: ZeRO-1 shards nothing and is the listed ZeRO-0 row.
  const Searched s = search(
      kSmall, {"workloads[0].parallelism={tp: 2, pp: 2, cp: 4}", "workloads[0].micro_batch=1"});
  const OwnLayout& own = s.result.own;
  ASSERT_EQ(own.status, OwnLayoutStatus::Ranked) << own.note;
  EXPECT_EQ(own.layout.zero_stage, 1);
  EXPECT_EQ(s.result.layouts[static_cast<std::size_t>(own.rank - 1)].layout.zero_stage, 0);
  EXPECT_NE(own.note.find("dp 1"), std::string::npos) << own.note;
}

TEST(LayoutSearch, Llama405bOnTheQuickstartsGpusFitsNowhere) {
  std::vector<KeyOverride> overrides = {parse_key_override("workloads[0].model=llama-3.1-405b")};
  const Scenario scenario =
      load_scenario(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", catalog(), overrides);
  const ClusterPlan cluster = plan_cluster(scenario.clusters[0], scenario.economics);
  ASSERT_EQ(cluster.gpus, 32);
  const LayoutSearchResult r = search_layouts(scenario.training[0], scenario.clusters[0], cluster);
  EXPECT_TRUE(r.layouts.empty());
  EXPECT_GT(r.stats.valid, 0);
  EXPECT_EQ(r.stats.fitting, 0);
  // 405B x 18 bytes (weights, gradients, Adam) / 32 GPUs is ~228 GB before any activation.
  EXPECT_NE(r.empty_reason.find("no layout fits in GPU memory"), std::string::npos)
      << r.empty_reason;
  EXPECT_NE(r.empty_reason.find("GiB"), std::string::npos) << r.empty_reason;
  EXPECT_EQ(r.own.status, OwnLayoutStatus::DoesNotFit);
}

TEST(LayoutSearch, NoValidLayoutNamesTheFirstError) {
  // seq_len 4094 = 2 x 2047: cp in {1, 2}; with tp, pp <= 2 only TP2 PP2 CP2 leaves a dp (2)
  // that divides the batch, and sequence parallelism needs tp 2 to divide 4094 / 2 = 2047.
  const Searched s = search(kSmall, {"workloads[0].seq_len=4094"});
  EXPECT_EQ(s.result.stats.evaluated, 12);  // 1 micro-batch x 4 ZeRO x 3 recompute
  EXPECT_EQ(s.result.stats.valid, 0);
  EXPECT_TRUE(s.result.layouts.empty());
  EXPECT_NE(s.result.empty_reason.find("no layout is valid"), std::string::npos)
      << s.result.empty_reason;
}

TEST(LayoutSearch, NoDataParallelSizeDividingTheBatchIsExplained) {
  // One layer: pp 1; tp, cp <= 2 -> dp >= 4, and none of 4, 8, 16 divides a batch of 5.
  const Searched s =
      search(kSmall, {"workloads[0].model={id: llama-3.1-8b, layers: 1, kv_heads: 2}",
                      "workloads[0].seq_len=4094", "workloads[0].global_batch=5",
                      "workloads[0].parallelism={}"});
  EXPECT_EQ(s.result.stats.evaluated, 0);
  EXPECT_NE(s.result.empty_reason.find("divides the global batch of 5"), std::string::npos)
      << s.result.empty_reason;
}

TEST(LayoutSearch, ProblemsNoLayoutCanFixAreConfigurationErrors) {
  EXPECT_THROW(search(kMedium, {"infrastructure.clusters[0].storage=[]"}), ConfigurationError);
}

}  // namespace
}  // namespace capsim
