// simulate_training_jobs: several jobs on one cluster's network, checked by hand. One
// simulation per test case (SimGrid allows one engine per process; ctest runs each case alone).
#include "capsim/sim/JobsSimulation.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "models/TrainingTestFixtures.hpp"

namespace capsim::test {
namespace {

// Four servers of one GPU and one 50 GB/s NIC on a 2:1 oversubscribed leaf/spine: 3-port leaves
// split 2 down, 1 up (FabricTemplates' split_leaf_ports), so leaf 0 holds servers 0 and 1,
// leaf 1 servers 2 and 3, and each leaf has ONE 50 GB/s uplink to the spine.
Topology oversubscribed_spine() {
  FabricSpec spec;
  spec.kind = FabricTemplate::LeafSpine;
  spec.servers = 4;
  spec.gpus_per_server = 1;
  spec.nvlink_domain_gpus = 1;
  spec.nics_per_server = 1;
  spec.nic_bandwidth_Bps = 50e9;
  spec.nic_latency_s = 1e-6;
  spec.leaf = SwitchModel{3, 50e9, 0.2e-6};
  spec.spine = SwitchModel{8, 50e9, 0.3e-6};
  spec.core = spec.spine;
  spec.oversubscription = 2.0;
  spec.cable_latency_s = 0.01e-6;
  return build_topology(spec);
}

ClusterConfig efficiencies() {
  ClusterConfig cluster;
  cluster.gpu.scaleup_collective_efficiency = 0.9;
  cluster.nic.collective_efficiency = 0.8;  // every flow sees 40 GB/s of a 50 GB/s link
  return cluster;
}

// tiny_gpt on tp 1 x pp 1 x dp 2, ZeRO-0 (a ring all-reduce of bf16 gradients after the
// backward, played as flows), m = 2.
TrainingLayout two_replicas() {
  TrainingLayout layout = tiny_layout();
  layout.tp = 1;
  layout.pp = 1;
  layout.dp = 2;
  layout.global_batch = 4;
  layout.zero_stage = 0;
  return layout;
}

// A job on `gpus` (replica 0, replica 1) whose estimate uses the ring's own route.
PlacedJob job_on(const std::string& name, const Topology& topology, int first, int second) {
  PlacedJob job{name, tiny_gpt(), two_replicas(), hand_gpu(), CommPaths{}, {first, second}, {}};
  job.comm.dp = comm_link(topology, efficiencies(), 2, second - first);
  return job;
}

// Each job's gradient bytes: S = its parameters x 2 (bf16), all-reduced over 2 replicas in
// 2 ring steps of S / 2 each way.
double gradient_bytes(const PlacedJob& job) {
  return local_stage_parameters(job.model, job.layout, 0).total() * kGradReduceBf16BytesPerParam;
}

// The job's iteration when each of its ring's flows gets `flow_Bps`: the estimate's compute and
// optimizer (pp 1: no bubble, no transfers) plus 2 ring steps of latency + (S / 2) / flow_Bps;
// the latency is the route's (comm_link's, the same rule as the simulated route's).
// (The estimate's own dp link would not do: for a ring crossing a 2:1 spine it takes each GPU's
// fair share of the uplinks, 20 GB/s, as if every GPU crossed at once.)
double iteration_at(const PlacedJob& job, double flow_Bps) {
  const TrainingEstimate e = estimate_training(job.model, job.layout, job.gpu, job.comm, 2);
  return e.iteration_s - e.breakdown.dp_comm_s +
         2 * (job.comm.dp.latency_s + gradient_bytes(job) / 2 / flow_Bps);
}

// Scattered: job A on servers 0 and 2, job B on 1 and 3. Both have the same work, so their
// rings start together. A's flow 0 -> 2 and B's 1 -> 3 both leave leaf 0 by its one uplink and
// enter leaf 1 by the spine's one downlink; 2 -> 0 and 3 -> 1 share the other direction. Alone,
// a flow gets min(NIC, uplink) x 0.8 = 40 GB/s; together each gets half the uplink, 20 GB/s.
// Each of the 2 ring steps moves S / 2, so each job's all-reduce, and its iteration, takes
//   2 x (S / 2) x (1 / 20e9 - 1 / 40e9) = S / 40e9 seconds
// longer than alone (the latencies are the same; AJobAloneGetsTheWholeUplink plays it alone).
TEST(JobsSimulation, ScatteredJobsShareTheOversubscribedSpine) {
  const Topology topology = oversubscribed_spine();
  const std::vector<PlacedJob> jobs{job_on("A", topology, 0, 2), job_on("B", topology, 1, 3)};
  const JobsSimulation result = simulate_training_jobs(jobs, topology, efficiencies());
  ASSERT_EQ(result.jobs.size(), 2u);
  for (std::size_t j = 0; j < 2; ++j) {
    const PlacedJob& job = jobs[j];
    const double alone_s = iteration_at(job, 40e9);
    const double extra_s = gradient_bytes(job) / 40e9;
    ASSERT_EQ(result.jobs[j].size(), 1u);
    const SimulatedIteration& sim = result.jobs[j][0];
    EXPECT_TRUE(sim.dp_comm_as_flows);
    EXPECT_LT(relative_error(sim.iteration_s, alone_s + extra_s), 1e-6)
        << job.name << ": alone " << alone_s << " s, shared " << sim.iteration_s;
    EXPECT_LT(relative_error(sim.iteration_s, iteration_at(job, 20e9)), 1e-6);
    EXPECT_GT(extra_s / alone_s, 0.2);  // the derivation is not lost in the compute
  }
}

// Packed: A on servers 0 and 1 (leaf 0), B on 2 and 3 (leaf 1): no flow leaves its leaf, so
// sharing the cluster costs nothing: each flow gets its NIC's 40 GB/s.
TEST(JobsSimulation, PackedJobsDoNotMeet) {
  const Topology topology = oversubscribed_spine();
  const std::vector<PlacedJob> jobs{job_on("A", topology, 0, 1), job_on("B", topology, 2, 3)};
  const JobsSimulation result = simulate_training_jobs(jobs, topology, efficiencies());
  for (std::size_t j = 0; j < 2; ++j)
    EXPECT_LT(relative_error(result.jobs[j][0].iteration_s, iteration_at(jobs[j], 40e9)), 1e-6);
}

// Alone on servers 0 and 2, the job's flows cross the spine at the uplink's full 40 GB/s.
TEST(JobsSimulation, AJobAloneGetsTheWholeUplink) {
  const Topology topology = oversubscribed_spine();
  const PlacedJob job = job_on("A", topology, 0, 2);
  const JobsSimulation result = simulate_training_jobs({job}, topology, efficiencies());
  EXPECT_LT(relative_error(result.jobs[0][0].iteration_s, iteration_at(job, 40e9)), 1e-6);
}

TEST(JobsSimulation, AGpuInTwoJobsIsRejected) {
  const Topology topology = oversubscribed_spine();
  try {
    simulate_training_jobs({job_on("A", topology, 0, 2), job_on("B", topology, 2, 3)}, topology,
                           efficiencies());
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& error) {
    EXPECT_EQ(std::string(error.what()),
              "simulate_training_jobs: job 'B' uses GPU 2, already taken by job 'A'; expected "
              "each GPU in one job once");
  }
}

}  // namespace
}  // namespace capsim::test
