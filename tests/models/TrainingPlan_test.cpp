// The training plan glues scenario, topology, estimate and cost together. These tests re-derive
// its figures by hand from the parsed inputs, so they check the mapping, not the printout.
#include "capsim/models/TrainingPlan.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "ShippedCatalog.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

const Catalog& catalog() { return test::shipped_catalog(); }

// 4 DGX H100 on one switch, two storage appliances, Llama 3.1 8B with TP2.
const std::string kScenario = R"(name: plan
infrastructure:
  clusters:
    - name: lab
      server: dgx-h100
      count: 4
      fabric: {template: single-switch, switch: quantum-2-qm9700}
      storage: [{system: ddn-ai400x2, count: 2}]
workloads:
  - name: ft
    kind: training
    model: llama-3.1-8b
    tokens: 1B
    seq_len: 8192
    global_batch: 64
    parallelism: {tp: 2}
    checkpoint: {interval: 10min}
)";

struct Planned {
  Scenario scenario;
  ClusterPlan cluster;
  TrainingPlan training;
};

Planned plan(const std::vector<std::string>& settings = {}) {
  std::vector<KeyOverride> overrides;
  for (const auto& setting : settings) overrides.push_back(parse_key_override(setting));
  Planned p{parse_scenario(kScenario, "plan.yaml", catalog(), overrides), {}, {}};
  p.cluster = plan_cluster(p.scenario.clusters[0], p.scenario.economics);
  p.training = plan_training(p.scenario.training[0], p.scenario.clusters[0], p.cluster);
  return p;
}

std::string configuration_error(const std::vector<std::string>& settings) {
  try {
    plan(settings);
  } catch (const ConfigurationError& error) {
    return error.what();
  }
  return "";
}

TEST(TrainingPlan, DerivesDataParallelSizeFromTheGpuCount) {
  const Planned p = plan();
  EXPECT_EQ(p.cluster.gpus, 32);
  EXPECT_EQ(p.training.layout.tp, 2);
  EXPECT_EQ(p.training.layout.dp, 16);  // 32 GPUs / (tp 2 x pp 1 x cp 1)
}

TEST(TrainingPlan, TensorParallelGroupUsesNvlinkAndDataParallelGroupTheNics) {
  const Planned p = plan();
  const ClusterConfig& c = p.scenario.clusters[0];
  // TP group {0, 1}: one server, NVLink at the GPU's scale-up bandwidth times the bus-bandwidth
  // efficiency NCCL reaches there.
  EXPECT_DOUBLE_EQ(p.training.comm.tp.bandwidth_Bps,
                   c.gpu.scaleup_bandwidth_Bps * c.gpu.scaleup_collective_efficiency);
  // DP group {0, 2, ..., 30} spans the 4 servers, 4 members in each: each GPU has its own NIC
  // (8 per server), one switch, no uplinks to share, so the ring's 4 channels leave a server
  // through 4 NICs: 4 x 50 GB/s x 0.95 = 190 GB/s, under NVLink's 450 x 0.822 = 370 GB/s.
  EXPECT_DOUBLE_EQ(p.training.comm.dp.bandwidth_Bps,
                   4 * c.nic.bandwidth_Bps * c.nic.collective_efficiency);
  EXPECT_LT(p.training.comm.dp.bandwidth_Bps,
            c.gpu.scaleup_bandwidth_Bps * c.gpu.scaleup_collective_efficiency);
  // A message leaves through two NICs and crosses one switch at least.
  EXPECT_GE(p.training.comm.dp.latency_s, 2 * c.nic.latency_s + c.fabric.leaf_switch.latency_s);
}

TEST(TrainingPlan, EstimateUsesTheCatalogPeakKernelsAndAchievedMemoryBandwidth) {
  const Planned p = plan();
  const GpuSpec& gpu = p.scenario.clusters[0].gpu;
  EXPECT_DOUBLE_EQ(p.training.gpu.peak_flop_per_s, gpu.bf16_flop_per_s);
  EXPECT_DOUBLE_EQ(p.training.gpu.kernels.gemm_efficiency_bf16, gpu.matmul_efficiency_bf16);
  EXPECT_DOUBLE_EQ(p.training.gpu.kernels.memory_bandwidth_Bps,
                   gpu.memory_bandwidth_Bps * gpu.memory_efficiency);
  // The plan's estimate is the estimate of the same inputs, recomputed here.
  const ModelSpec& m = p.scenario.training[0].model;
  const ModelShape shape{m.layers,     m.hidden, m.heads, m.kv_heads,
                         m.ffn_hidden, m.vocab,  true,    m.tied_embeddings};
  const TrainingEstimate again =
      estimate_training(shape, p.training.layout, p.training.gpu, p.training.comm, 32);
  EXPECT_DOUBLE_EQ(p.training.estimate.iteration_s, again.iteration_s);
}

TEST(TrainingPlan, StepsTokensAndCheckpointStallsByHand) {
  const Planned p = plan();
  const TrainingPlan& t = p.training;
  // 1e9 tokens / (64 x 8192 = 524,288 tokens per step) = 1907.35 -> 1908 steps.
  EXPECT_DOUBLE_EQ(t.steps, 1908);
  EXPECT_DOUBLE_EQ(t.tokens, 1908.0 * 524288.0);
  EXPECT_DOUBLE_EQ(t.compute_time_s, 1908 * t.estimate.iteration_s);
  // Checkpoint = 14 bytes per parameter (bf16 weights + fp32 master and two Adam moments),
  // written at the two appliances' write bandwidth, each capped by its network ports.
  const StorageSpec& ddn = p.scenario.clusters[0].storage[0].system;
  const double write_Bps = 2 * std::min(ddn.write_Bps, ddn.network_ports * ddn.port_bandwidth_Bps);
  EXPECT_DOUBLE_EQ(p.cluster.storage_write_Bps, write_Bps);
  EXPECT_DOUBLE_EQ(t.checkpoint_bytes, 14 * t.estimate.parameters.total);
  EXPECT_DOUBLE_EQ(t.checkpoint_write_s, t.checkpoint_bytes / write_Bps);
  EXPECT_DOUBLE_EQ(t.checkpoints, std::floor(t.compute_time_s / 600.0));
  EXPECT_DOUBLE_EQ(t.time_to_train_s, t.compute_time_s + t.checkpoints * t.checkpoint_write_s);
}

// Asynchronous checkpoints: training waits for each writer's copy of its share to host memory
// (ZeRO-1 by default: all 32 GPUs write 1/32 each, over the H100's PCIe link) and for what of
// the write outlasts the interval (nothing at the scenario's 10 min: the write takes about a
// second, 8B x 14 bytes over two appliances' 2 x 50 GB/s of ports).
TEST(TrainingPlan, AsynchronousCheckpointsStallForTheCopyToHostMemory) {
  const Planned p = plan({"workloads[0].checkpoint.mode=async"});
  const TrainingPlan& t = p.training;
  const double host_link_Bps = p.scenario.clusters[0].gpu.host_link_Bps;
  ASSERT_GT(host_link_Bps, 0);
  EXPECT_DOUBLE_EQ(t.checkpoint_snapshot_s, t.checkpoint_bytes / 32 / host_link_Bps);
  EXPECT_DOUBLE_EQ(t.checkpoints, std::floor(t.compute_time_s / 600.0));
  EXPECT_DOUBLE_EQ(t.checkpoint_stall_s, t.checkpoints * t.checkpoint_snapshot_s);
  EXPECT_DOUBLE_EQ(t.time_to_train_s, t.compute_time_s + t.checkpoint_stall_s);
  // Without ZeRO (tp 8 to fit) the first replica's tp x pp = 8 GPUs write it all.
  const Planned zero0 = plan({"workloads[0].checkpoint.mode=async", "workloads[0].zero_stage=0",
                              "workloads[0].parallelism.tp=8"});
  EXPECT_DOUBLE_EQ(zero0.training.checkpoint_snapshot_s,
                   zero0.training.checkpoint_bytes / 8 / host_link_Bps);
  // An interval shorter than the write: the next checkpoint waits for the rest of it.
  const Planned tight =
      plan({"workloads[0].checkpoint.mode=async", "workloads[0].checkpoint.interval=0.5s"});
  const TrainingPlan& u = tight.training;
  ASSERT_GT(u.checkpoint_write_s, 0.5);
  EXPECT_DOUBLE_EQ(u.checkpoint_stall_s,
                   u.checkpoints * (u.checkpoint_snapshot_s + u.checkpoint_write_s - 0.5));
  // Synchronous stays the default.
  EXPECT_DOUBLE_EQ(p.training.checkpoint_bytes, plan().training.checkpoint_bytes);
  EXPECT_DOUBLE_EQ(plan().training.checkpoint_snapshot_s, 0.0);
  try {
    plan({"workloads[0].checkpoint.mode=later"});
    ADD_FAILURE() << "checkpoint.mode 'later' was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("one of: sync, async"), std::string::npos)
        << error.what();
  }
}

TEST(TrainingPlan, ChosenMicroBatchIsTheLargestPowerOfTwoThatFits) {
  const Planned p = plan();
  ASSERT_TRUE(p.training.micro_batch_chosen);
  const int chosen = p.training.layout.micro_batch;
  EXPECT_TRUE(p.training.estimate.memory.fits);
  // Twice the chosen micro-batch must not fit (the per-replica batch of 4 allows up to 4).
  ASSERT_LE(2 * chosen, 64 / 16);
  const std::string message =
      configuration_error({"workloads[0].micro_batch=" + std::to_string(2 * chosen)});
  EXPECT_NE(message.find("does not fit in GPU memory"), std::string::npos) << message;
}

TEST(TrainingPlan, CostOfTheRunIsTheHourlyRateTimesTheDuration) {
  const Planned p = plan();
  EXPECT_NEAR(p.training.cost.owned_usd,
              p.cluster.cost.owned_usd_per_h * p.training.time_to_train_s / 3600.0, 1e-9);
  // Capex by hand from the parsed entries: servers, one switch, 32 copper cables, 2 appliances.
  const ClusterConfig& c = p.scenario.clusters[0];
  EXPECT_EQ(p.cluster.bom.leaf_switches, 1);
  EXPECT_EQ(p.cluster.bom.copper_cables, 32);
  const double capex = 4 * c.server.price_usd + c.fabric.leaf_switch.price_usd +
                       32 * c.fabric.copper_cable.price_usd +
                       p.cluster.bom.transceivers * c.fabric.transceiver.price_usd +
                       p.cluster.bom.fiber_cables * c.fabric.fiber_cable.price_usd +
                       2 * c.storage[0].system.price_usd;
  EXPECT_NEAR(p.cluster.cost.capex.total_usd(), capex, 1e-6);
}

TEST(TrainingPlan, ParallelSizesThatDoNotMatchTheGpuCountAreRejected) {
  std::string message = configuration_error({"workloads[0].parallelism.dp=3"});
  EXPECT_NE(message.find("tp 2 x pp 1 x dp 3 x cp 1 = 6 GPUs but the cluster has 32"),
            std::string::npos)
      << message;
  message = configuration_error({"workloads[0].parallelism.tp=3"});
  EXPECT_NE(message.find("does not divide the cluster's 32 GPUs"), std::string::npos) << message;
}

TEST(TrainingPlan, AModelThatDoesNotFitShowsTheMemoryBreakdown) {
  const std::string message =
      configuration_error({"workloads[0].model=llama-3.1-405b", "workloads[0].parallelism.tp=8"});
  EXPECT_NE(message.find("does not fit in GPU memory"), std::string::npos) << message;
  EXPECT_NE(message.find("weights"), std::string::npos) << message;
  EXPECT_NE(message.find("optimizer"), std::string::npos) << message;
  EXPECT_NE(message.find("activations"), std::string::npos) << message;
  EXPECT_NE(message.find("GiB"), std::string::npos) << message;
}

TEST(TrainingPlan, ASwitchWithTooFewPortsIsRejected) {
  // 9 servers x 8 NICs = 72 ports on one 64-port switch.
  const std::string message = configuration_error({"infrastructure.clusters[0].count=9"});
  EXPECT_NE(message.find("cluster 'lab'"), std::string::npos) << message;
  EXPECT_NE(message.find("single-switch"), std::string::npos) << message;
  EXPECT_NE(message.find("64"), std::string::npos) << message;
}

TEST(TrainingPlan, CheckpointsWithoutStorageAreRejected) {
  const std::string message = configuration_error({"infrastructure.clusters[0].storage=[]"});
  EXPECT_NE(message.find("has no storage"), std::string::npos) << message;
}

}  // namespace
}  // namespace capsim
