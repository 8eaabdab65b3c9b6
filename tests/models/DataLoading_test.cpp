// Reading input data from storage (DataLoading.hpp): the closed form by hand, then through a
// planned scenario, where a storage tier too slow for the loaders stretches every iteration to
// the time the storage needs.
#include "capsim/models/DataLoading.hpp"

#include <gtest/gtest.h>

#include "ShippedCatalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/LayoutSearch.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace {

TEST(DataLoading, BytesPerSampleFollowTheBatchAndTheStallIsWhatTheStorageLacks) {
  // 512 samples of 2 MB = 1.024 GB per 1 s iteration; storage 0.5 GB/s behind 4 servers of
  // 100 GB/s of NICs: the storage needs 2.048 s, so the job waits 1.048 s per iteration.
  const InputLoad load = input_load({2e6, 0}, 512, 4, 1.0, 0.5e9, 100e9);
  EXPECT_DOUBLE_EQ(load.bytes_per_iteration, 1.024e9);
  EXPECT_DOUBLE_EQ(load.demand_Bps, 1.024e9);
  EXPECT_DOUBLE_EQ(load.supply_Bps, 0.5e9);
  EXPECT_DOUBLE_EQ(load.stall_s, 1.024e9 / 0.5e9 - 1.0);
}

TEST(DataLoading, ReadPerServerIsADemandAtTheJobsSpeedAndNoStallWhenStorageKeepsUp) {
  // 2 GB/s x 4 servers over a 1.5 s iteration = 12 GB; 10 GB/s delivers it in 1.2 s < 1.5 s.
  const InputLoad load = input_load({0, 2e9}, 64, 4, 1.5, 10e9, 100e9);
  EXPECT_DOUBLE_EQ(load.bytes_per_iteration, 12e9);
  EXPECT_DOUBLE_EQ(load.demand_Bps, 8e9);
  EXPECT_DOUBLE_EQ(load.stall_s, 0.0);
}

TEST(DataLoading, TheServersNicsCapTheSupply) {
  // One server with 12.5 GB/s of NICs cannot draw more from a 90 GB/s appliance.
  const InputLoad load = input_load({1e6, 0}, 100, 1, 0.001, 90e9, 12.5e9);
  EXPECT_DOUBLE_EQ(load.supply_Bps, 12.5e9);
  EXPECT_DOUBLE_EQ(load.stall_s, 1e8 / 12.5e9 - 0.001);
}

TEST(DataLoading, NothingToReadIsNoLoadAndReadingWithoutStorageIsAnError) {
  const InputLoad none = input_load({}, 64, 4, 1.0, 0.0, 0.0);
  EXPECT_DOUBLE_EQ(none.bytes_per_iteration, 0.0);
  EXPECT_DOUBLE_EQ(none.stall_s, 0.0);
  EXPECT_THROW(input_load({1e6, 0}, 64, 4, 1.0, 0.0, 100e9), ConfigurationError);
}

TEST(DataLoading, AStallStretchesTheIterationAndScalesThroughputAndMfu) {
  TrainingEstimate e;
  e.iteration_s = 2.0;
  e.tokens_per_s = 1000.0;
  e.mfu = 0.5;
  e.hfu = 0.6;
  add_input_stall(e, 0.5);
  EXPECT_DOUBLE_EQ(e.breakdown.input_stall_s, 0.5);
  EXPECT_DOUBLE_EQ(e.iteration_s, 2.5);
  EXPECT_DOUBLE_EQ(e.tokens_per_s, 800.0);  // same tokens over 2.5 s instead of 2
  EXPECT_DOUBLE_EQ(e.mfu, 0.4);
  EXPECT_DOUBLE_EQ(e.hfu, 0.48);
}

// 4 DGX H100 on one switch with one storage appliance; the loaders of a multimodal job read
// `data_loading` from it.
std::string scenario_text(const std::string& data_loading) {
  return R"(name: loading
infrastructure:
  clusters:
    - name: lab
      server: dgx-h100
      count: 4
      fabric: {template: single-switch, switch: quantum-2-qm9700}
      storage: [{system: ddn-ai400x2, count: 1}]
workloads:
  - name: mm
    kind: training
    model: llama-3.1-8b
    steps: 100
    seq_len: 8192
    global_batch: 64
    parallelism: {tp: 2}
)" + data_loading;
}

struct Planned {
  Scenario scenario;
  ClusterPlan cluster;
  TrainingPlan training;
};

Planned plan(const std::string& data_loading) {
  Planned p{
      parse_scenario(scenario_text(data_loading), "loading.yaml", test::shipped_catalog()), {}, {}};
  p.cluster = plan_cluster(p.scenario.clusters[0], p.scenario.economics);
  p.training = plan_training(p.scenario.training[0], p.scenario.clusters[0], p.cluster);
  return p;
}

TEST(DataLoading, AStorageTierTooSlowForTheLoadersMakesThePlanInputBound) {
  const Planned alone = plan("");
  const double iteration_s = alone.training.estimate.iteration_s;
  // One DDN AI400X2 reads min(90 GB/s, 8 ports x 25 GB/s) = 90 GB/s (the catalog entry); the 4
  // servers' loaders ask 30 GB/s each, 120 GB/s in all: a third more than the storage gives.
  const StorageSpec& ddn = alone.scenario.clusters[0].storage[0].system;
  const double supply_Bps = std::min(ddn.read_Bps, ddn.network_ports * ddn.port_bandwidth_Bps);
  ASSERT_DOUBLE_EQ(supply_Bps, 90e9);
  ASSERT_DOUBLE_EQ(alone.cluster.storage_read_Bps, supply_Bps);
  const Planned loading = plan("    data_loading: {read_per_server: 30GB/s}\n");
  const TrainingPlan& t = loading.training;
  // Bytes per iteration = 4 servers x 30 GB/s x the iteration without waiting; the storage needs
  // 4/3 of the iteration for them, so the job waits a third of an iteration more.
  const double bytes = 4 * 30e9 * iteration_s;
  EXPECT_NEAR(t.input.bytes_per_iteration, bytes, bytes * 1e-12);
  EXPECT_DOUBLE_EQ(t.input.supply_Bps, supply_Bps);
  EXPECT_NEAR(t.estimate.breakdown.input_stall_s, bytes / supply_Bps - iteration_s, 1e-12);
  EXPECT_NEAR(t.estimate.iteration_s, 4.0 / 3.0 * iteration_s, 1e-12);
  EXPECT_NEAR(t.estimate.mfu, alone.training.estimate.mfu * iteration_s / (bytes / supply_Bps),
              1e-12);
  // The run takes its 100 steps at the stretched iteration.
  EXPECT_NEAR(t.compute_time_s, 100 * bytes / supply_Bps, 1e-9);
}

TEST(DataLoading, TheLayoutSearchReadsTheSameBytesPerIterationForEveryLayout) {
  // The loaders' 30 GB/s per server was measured at the scenario's layout (TP2): an iteration
  // reads 4 x 30 GB/s x that iteration whatever the layout, so no layout, however fast, gets
  // below bytes / supply (a faster one does not read less).
  const Planned p = plan("    data_loading: {read_per_server: 30GB/s}\n");
  const double own_s =
      p.training.estimate.iteration_s - p.training.estimate.breakdown.input_stall_s;
  const double floor_s = 4 * 30e9 * own_s / p.training.input.supply_Bps;
  const LayoutSearchResult search =
      search_layouts(p.scenario.training[0], p.scenario.clusters[0], p.cluster, SearchOptions{});
  ASSERT_FALSE(search.layouts.empty());
  for (const RankedLayout& layout : search.layouts)
    EXPECT_GE(layout.iteration_s, floor_s * (1 - 1e-12)) << layout.rank;
  EXPECT_NEAR(search.layouts.front().iteration_s, floor_s, floor_s * 1e-9)
      << "the storage, not the layout, sets the best iteration";
}

TEST(DataLoading, TokenIdsAloneNeverStallAnLlmJob) {
  // 8192 tokens x 4 bytes per sequence: 2 MiB per iteration, nothing for 90 GB/s of storage.
  const Planned p = plan("    data_loading: {bytes_per_sample: 32KiB}\n");
  EXPECT_DOUBLE_EQ(p.training.input.bytes_per_iteration, 64 * 32768.0);
  EXPECT_DOUBLE_EQ(p.training.estimate.breakdown.input_stall_s, 0.0);
  EXPECT_DOUBLE_EQ(p.training.estimate.iteration_s, plan("").training.estimate.iteration_s);
}

TEST(DataLoading, ExactlyOneDemandKeyIsAccepted) {
  auto message = [](const std::string& block) {
    try {
      plan(block);
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string();
  };
  const std::string both =
      message("    data_loading: {bytes_per_sample: 1MB, read_per_server: 2GB/s}\n");
  EXPECT_NE(both.find("workloads[0].data_loading.read_per_server"), std::string::npos) << both;
  EXPECT_NE(both.find("exactly one of"), std::string::npos) << both;
  const std::string neither = message("    data_loading: {}\n");
  EXPECT_NE(neither.find("bytes_per_sample"), std::string::npos) << neither;
  const std::string zero = message("    data_loading: {bytes_per_sample: 0B}\n");
  EXPECT_NE(zero.find("is zero"), std::string::npos) << zero;
}

}  // namespace
}  // namespace capsim
