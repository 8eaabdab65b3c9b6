// Checkpoints in simulate_training_jobs: the writers' flows over their NICs and the fabric to
// the storage nodes' disks, checked by hand; an asynchronous checkpoint slowing a data-parallel
// ring that shares a link with it; the same numbers bit for bit on every run. One simulation per
// test case (SimGrid allows one engine per process; ctest runs each case alone), except the
// determinism case, which runs its two in child processes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "CheckpointPlan.hpp"
#include "WorkloadSimulation.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/JobsSimulation.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

// Two servers of one GPU and one NIC (`nic_Bps`) on one switch, with one storage node whose one
// port runs at `storage_link_Bps`. Every latency is 0, so a flow takes exactly bytes / its share
// of the bottleneck, and the hand calculations below need no latency terms.
Topology two_servers_and_storage(double nic_Bps, double storage_link_Bps) {
  FabricSpec spec;
  spec.kind = FabricTemplate::SingleSwitch;
  spec.servers = 2;
  spec.gpus_per_server = 1;
  spec.nvlink_domain_gpus = 1;
  spec.nics_per_server = 1;
  spec.nic_bandwidth_Bps = nic_Bps;
  spec.nic_latency_s = 0;
  spec.leaf = SwitchModel{8, 400e9, 0};
  spec.spine = spec.leaf;
  spec.core = spec.leaf;
  spec.storage_nodes = 1;
  spec.storage_link_Bps = storage_link_Bps;
  spec.storage_links_per_node = 1;
  spec.cable_latency_s = 0;
  return build_topology(spec);
}

// The cluster as the simulation reads it: raw link bandwidths (efficiencies 1) and one storage
// unit whose disk writes at `disk_write_Bps`.
ClusterConfig storage_cluster(double disk_write_Bps, double storage_link_Bps) {
  ClusterConfig cluster;
  cluster.gpu.scaleup_collective_efficiency = 1.0;
  cluster.nic.collective_efficiency = 1.0;
  StorageSpec unit;
  unit.id = "test-storage";
  unit.read_Bps = 2 * disk_write_Bps;
  unit.write_Bps = disk_write_Bps;
  unit.network_ports = 1;
  unit.port_bandwidth_Bps = storage_link_Bps;
  cluster.storage.push_back({unit, 1});
  return cluster;
}

// tiny_gpt on tp 1 x pp 1 x dp 2 (servers 0 and 1), m = 2, gradients in bf16.
TrainingLayout two_replicas(int zero_stage) {
  TrainingLayout layout = tiny_layout();
  layout.tp = 1;
  layout.pp = 1;
  layout.dp = 2;
  layout.global_batch = 4;
  layout.zero_stage = zero_stage;
  return layout;
}

PlacedJob job_with_checkpoint(const TrainingLayout& layout, double bytes, bool async,
                              const Topology& topology) {
  PlacedJob job{"job", tiny_gpt(), layout, hand_gpu(), CommPaths{}, {0, 1}, {}};
  job.comm.dp = comm_link(topology, storage_cluster(1, 1), 2, 1);
  job.checkpoint.bytes = bytes;
  job.checkpoint.async = async;
  job.checkpoint.host_link_Bps = 25e9;
  job.checkpoint.after_iteration = 0;
  return job;
}

constexpr double kCheckpointBytes = 16e9;
// Chunks per writer: at most 4,096 / writers, here (1 or 2 writers) the cap of 16.
constexpr double kChunks = 16;
static_assert(sim_detail::kCheckpointMaxChunks == 16);

// (a) A synchronous checkpoint with nothing else running. ZeRO-1: both GPUs write half of
// S = 16 GB, each in 16 chunks of c = S / 32 = 0.5 GB sent one after
// the other, to the one storage node. Bandwidths: NICs 50 GB/s each (100 GB/s together), the
// storage port 25 GB/s, the disk 20 GB/s: the disk is the bottleneck,
//   min(100, 25, 20) = 20 GB/s.
// Both writers' first chunks share the port (12.5 GB/s each) and land after c / 12.5 GB/s;
// from then on the network delivers 25 GB/s, faster than the disk drains (a pair of chunks
// arrives in c / 12.5e9 = 0.04 s and takes 2c / 20e9 = 0.05 s to write, so the storage's
// two-chunk window, kCheckpointWindowChunks, always holds the next pair when one is written),
// so the disk is busy until all S is written:
//   T = c / 12.5e9 + S / 20e9 = 0.04 + 0.8 = 0.84 s.
// The estimate's closed form (run_figures: checkpoint bytes / the storage's write bandwidth,
// count x min(disk write, ports x port bandwidth) = min(20, 25) GB/s) is S / 20e9 = 0.8 s: its
// assumptions (the storage's write bandwidth is the bottleneck, the write is one stream) hold,
// and the simulation differs by the pipeline's fill, the first chunk's transfer (5%).
TEST(CheckpointSimulation, SynchronousWriteTakesTheBottleneckTimePlusOneChunk) {
  const Topology topology = two_servers_and_storage(50e9, 25e9);
  const ClusterConfig cluster = storage_cluster(20e9, 25e9);
  const PlacedJob job = job_with_checkpoint(two_replicas(1), kCheckpointBytes, false, topology);
  SimulationSettings settings;
  settings.iterations = 2;
  const JobsSimulation result = simulate_training_jobs({job}, topology, cluster, settings);
  ASSERT_EQ(result.checkpoints.size(), 1u);
  const CheckpointTiming& c = result.checkpoints[0];
  ASSERT_TRUE(c.played);
  EXPECT_EQ(c.writers, 2);
  EXPECT_EQ(c.storage_nodes, 1);
  const double chunk_bytes = kCheckpointBytes / 2 / kChunks;
  const double expected_s = chunk_bytes / 12.5e9 + kCheckpointBytes / 20e9;
  EXPECT_NEAR(c.write_s, expected_s, 1e-6 * expected_s) << "simulated " << c.write_s;
  EXPECT_DOUBLE_EQ(c.stall_s, c.write_s);  // synchronous: training waits for all of it
  // The next iteration starts when the checkpoint is on disk.
  const auto& its = result.jobs[0];
  EXPECT_NEAR(its[1].start_s, its[0].start_s + its[0].iteration_s + c.stall_s, 1e-9);
  const double closed_form_s = kCheckpointBytes / std::min(20e9, 25e9);
  EXPECT_NEAR(c.write_s - closed_form_s, chunk_bytes / 12.5e9, 1e-6 * expected_s);
  std::printf(
      "synchronous checkpoint of 16 GB: simulated %.6f s, hand %.6f s, closed form %.6f s\n",
      c.write_s, expected_s, closed_form_s);
}

// (a') The same with a 40 GB/s disk: now the storage port is the bottleneck,
// min(100, 25, 40) = 25 GB/s. The two writers send their 16 chunks in lock step, each at half
// the port (12.5 GB/s), so the last chunks land at S / 25e9 = 0.64 s; each earlier pair of
// chunks is on disk (2c / 40e9 = 0.025 s) before the next pair lands (c / 12.5e9 = 0.04 s), and
// the last pair adds 2c / 40e9:  T = S / 25e9 + 2c / 40e9 = 0.665 s. The closed form takes the
// storage unit's write bandwidth as min(40, 1 port x 25) = 25 GB/s: S / 25e9 = 0.64 s.
TEST(CheckpointSimulation, SynchronousWriteLimitedByTheStoragePort) {
  const Topology topology = two_servers_and_storage(50e9, 25e9);
  const ClusterConfig cluster = storage_cluster(40e9, 25e9);
  const PlacedJob job = job_with_checkpoint(two_replicas(1), kCheckpointBytes, false, topology);
  const JobsSimulation result = simulate_training_jobs({job}, topology, cluster, {});
  const CheckpointTiming& c = result.checkpoints.at(0);
  const double chunk_bytes = kCheckpointBytes / 2 / kChunks;
  const double expected_s = kCheckpointBytes / 25e9 + 2 * chunk_bytes / 40e9;
  EXPECT_NEAR(c.write_s, expected_s, 1e-6 * expected_s) << "simulated " << c.write_s;
  std::printf("port-bound checkpoint of 16 GB: simulated %.6f s, hand %.6f s, closed form %.6f s\n",
              c.write_s, expected_s, kCheckpointBytes / 25e9);
}

// The ring's bytes per edge as the reduced ring plays them (IterationPlan.cpp): ZeRO-0, an
// all-reduce of 2 (n - 1) = 2 steps of S_g / 2 each, S_g = parameters x 2 bytes (bf16).
double ring_edge_bytes(const PlacedJob& job) {
  const double params = local_stage_parameters(job.model, job.layout, 0).total();
  return 2.0 * static_cast<double>(std::llround(params * kGradReduceBf16BytesPerParam / 2));
}

// (b) Contention. ZeRO-0: GPU 0 (the first replica's only rank) writes the whole 16 GB
// checkpoint, asynchronously, after iteration 0. The storage port (100 GB/s) and the disk
// (100 GB/s) are fast, so the write runs at GPU 0's NIC, 50 GB/s, for 0.32 s, far longer than
// an iteration. During iteration 1 the data-parallel ring's edge 0 -> 1 leaves GPU 0 by the same
// NIC link: max-min fair sharing gives the ring flow and the checkpoint flow 25 GB/s each, the
// ring edge 1 -> 0 keeps 50 GB/s (other links), and the ring waits for its slowest edge. So the
// ring, alone B / 50e9 (B its bytes per edge, latencies 0), takes B / 25e9: iteration 1 is
//   B / 25e9 - B / 50e9 = B / 50e9
// longer than iteration 0 (same compute, no slow GPUs), and that is the reported slowdown.
TEST(CheckpointSimulation, AsynchronousWriteSlowsTheRingSharingItsLink) {
  const Topology topology = two_servers_and_storage(50e9, 100e9);
  const ClusterConfig cluster = storage_cluster(100e9, 100e9);
  const PlacedJob job = job_with_checkpoint(two_replicas(0), kCheckpointBytes, true, topology);
  SimulationSettings settings;
  settings.iterations = 2;
  const JobsSimulation result = simulate_training_jobs({job}, topology, cluster, settings);
  const auto& its = result.jobs.at(0);
  ASSERT_EQ(its.size(), 2u);
  ASSERT_TRUE(its[0].dp_comm_as_flows);
  const CheckpointTiming& c = result.checkpoints.at(0);
  ASSERT_TRUE(c.played);
  EXPECT_EQ(c.writers, 1);
  const double bytes = ring_edge_bytes(job);
  EXPECT_NEAR(its[0].dp_comm_s, bytes / 50e9, 1e-9);  // the ring alone
  EXPECT_NEAR(its[1].dp_comm_s, bytes / 25e9, 1e-9);  // beside the checkpoint
  const double extra_s = bytes / 50e9;
  EXPECT_NEAR(its[1].iteration_s - its[0].iteration_s, extra_s, 1e-9);
  EXPECT_EQ(c.overlapped_iterations, 1);
  EXPECT_NEAR(c.slowdown_s, extra_s, 1e-9);
  // The write: the copy to host memory (S / 25 GB/s), then S at 50 GB/s, less what the ring
  // took: while the ring ran (B / 25e9 s) the checkpoint flow moved B bytes instead of 2B, so
  // it ends B / 50e9 = extra_s later; then the last 1 GB chunk (ZeRO-0: one writer, 16 chunks
  // of S / 16) is written at the disk's 100 GB/s:
  //   write_s = S / 25e9 + S / 50e9 + extra_s + (S / 16) / 100e9.
  EXPECT_GT(extra_s / its[0].iteration_s, 0.05);  // the effect is not lost in the compute
  const double copy_s = kCheckpointBytes / 25e9;
  const double write_s =
      copy_s + kCheckpointBytes / 50e9 + extra_s + kCheckpointBytes / kChunks / 100e9;
  EXPECT_NEAR(c.write_s, write_s, 1e-6 * write_s);
  // Training waited for the copy, then, after its last iteration, for the rest of the write.
  const double last_end_s = its[1].start_s + its[1].iteration_s;
  EXPECT_NEAR(c.stall_s, copy_s + (c.start_s + c.write_s - last_end_s), 1e-9);
  std::printf(
      "ring %.6f s alone, %.6f s beside the checkpoint; iteration %.6f -> %.6f s; "
      "write %.6f s\n",
      its[0].dp_comm_s, its[1].dp_comm_s, its[0].iteration_s, its[1].iteration_s, c.write_s);
}

// (c) Determinism: the contention case twice, each in its own child process (one engine per
// process), gives the same numbers bit for bit.
TEST(CheckpointSimulation, SameInputsGiveTheSameNumbers) {
  const Topology topology = two_servers_and_storage(50e9, 100e9);
  const ClusterConfig cluster = storage_cluster(100e9, 100e9);
  const PlacedJob job = job_with_checkpoint(two_replicas(0), kCheckpointBytes, true, topology);
  SimulationSettings settings;
  settings.iterations = 3;
  const auto first = sim_detail::simulate_in_child({job}, topology, cluster, settings, {});
  const auto second = sim_detail::simulate_in_child({job}, topology, cluster, settings, {});
  ASSERT_TRUE(first.simulated) << first.reason;
  ASSERT_TRUE(second.simulated) << second.reason;
  const CheckpointTiming& a = first.checkpoints.at(0);
  const CheckpointTiming& b = second.checkpoints.at(0);
  EXPECT_TRUE(a.played);
  EXPECT_EQ(a.start_s, b.start_s);
  EXPECT_EQ(a.stall_s, b.stall_s);
  EXPECT_EQ(a.write_s, b.write_s);
  EXPECT_EQ(a.slowdown_s, b.slowdown_s);
  EXPECT_EQ(a.overlapped_iterations, b.overlapped_iterations);
  ASSERT_EQ(first.jobs.at(0).size(), second.jobs.at(0).size());
  for (std::size_t i = 0; i < first.jobs[0].size(); ++i)
    EXPECT_EQ(first.jobs[0][i].iteration_s, second.jobs[0][i].iteration_s) << "iteration " << i;
}

// Bad input: a checkpoint on a cluster whose storage entries do not describe its storage node.
TEST(CheckpointSimulation, ACheckpointWithoutStorageEntriesIsRejected) {
  const Topology topology = two_servers_and_storage(50e9, 25e9);
  ClusterConfig cluster = storage_cluster(20e9, 25e9);
  cluster.storage.clear();
  const PlacedJob job = job_with_checkpoint(two_replicas(1), kCheckpointBytes, false, topology);
  try {
    simulate_training_jobs({job}, topology, cluster, {});
    FAIL() << "expected a ConfigurationError";
  } catch (const ConfigurationError& error) {
    EXPECT_NE(std::string(error.what()).find("storage entries"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace capsim::test
