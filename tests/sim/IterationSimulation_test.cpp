// simulate_training_iteration: one training iteration played out in SimGrid, checked by hand on a
// tiny pipeline and against the closed-form estimate on published runs.
//
// SimGrid allows one simulation per process, so each TEST runs at most one; ctest runs every
// case in its own process (gtest_discover_tests). Run the binary with --gtest_filter=one case.
#include "capsim/sim/IterationSimulation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "ShippedCatalog.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/models/PublishedRuns.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "models/TrainingTestFixtures.hpp"
#include "sim/PublishedSimulation.hpp"
#include "sim/SimTestTopologies.hpp"

namespace capsim::test {
namespace {

// tiny_gpt (4 layers) on tiny_layout: tp 2 x pp 2 x dp 2 on 4 servers of 2 GPUs, m = 4, no
// overlap. Stage 0 (2 layers) is GPU 0 on server 0, stage 1 (2 layers + logits) GPU 4 on server
// 2, so each activation and gradient crosses NIC - switch - NIC: c = latency + bytes / (50 GB/s
// x 0.8), the estimate's pp_forward_s (bytes 2048 x 1024 x 2 / 2 = 2 MiB). F_k, B_k are stage k's
// forward and backward without the pipeline send; stage 1 is the bottleneck (logits).
// Megatron's 1F1B with rendezvous transfers, stage 0 warm-up 1, stage 1 none:
//   S0: F(1) ends F0, sends a1 until F0 + c; F(2) ends 2 F0 + c, then exchanges (a2, g1).
//   S1: F(1), B(1) end F0 + c + F1 + B1, then exchanges (g1, a2): the later side starts the two
//       transfers, which run at once on the two directions: X1 = F0 + F1 + B1 + 2c.
//   Each further steady round is paced by stage 1 (F1 + B1 >= F0 + B0): stage 0's B and F fit
//   while stage 1 runs F and B, so X2 = X1 + (F1 + B1 + c), X3 = X2 + (F1 + B1 + c).
//   S1: F(4), B(4), send g4: P1 = X3 + F1 + B1 + c = F0 + 4 (F1 + B1) + 5c.
//   S0: B(4) after g4: P0 = P1 + B0 = m (F1 + B1 + c) + (F0 + B0 + c),
//   i.e. (m + pp - 1) slots, m of the bottleneck stage and one of the other, each slot with ONE
//   transfer time (the estimate charges 2c per slot: (m + pp - 1) (F1 + B1 + 2c)).
// Then each stage's dp pair (GPUs 0 and 2, 4 and 6: NIC - switch - NIC again) plays ZeRO-1 as
// ring flows: one reduce-scatter step of S / 2 bf16 gradients, one all-gather step of S / 2 bf16
// weights, each latency + S / 2 / 40 GB/s, exactly the estimate's dp_k (its dp link is this same
// route); then the optimizer step:
//   iteration = max(P0 + dp0, P1 + dp1) + optimizer.
TEST(IterationSimulation, TinyPipelineMatchesThe1F1BScheduleByHand) {
  const Topology topology = two_gpu_servers(4);
  const ClusterConfig cluster = efficiencies(0.9, 0.8);
  const TrainingLayout layout = tiny_layout();
  const CommPaths comm = comm_paths(topology, cluster, layout);
  const std::vector<StageEstimate> stages =
      estimate_stages(tiny_gpt(), layout, hand_gpu(), comm, 8);
  const TrainingEstimate estimate = estimate_training(tiny_gpt(), layout, hand_gpu(), comm, 8);
  ASSERT_EQ(stages.size(), 2u);
  ASSERT_EQ(estimate.micro_batches, 4);

  // c: 1 us + 0.01 + 0.2 + 0.01 + 1 us = 2.22 us of latency, 2 MiB at 40 GB/s.
  const double c = stages[0].micro_batch.pp_forward_s;
  EXPECT_LT(relative_error(c, 2.22e-6 + 2097152.0 / 40e9), 1e-12);
  const auto forward = [&](int k) {
    return stages[k].micro_batch.forward_s - stages[k].micro_batch.pp_forward_s;
  };
  const auto backward = [&](int k) {
    return stages[k].micro_batch.backward_s - stages[k].micro_batch.pp_backward_s;
  };
  const double F0 = forward(0), B0 = backward(0), F1 = forward(1), B1 = backward(1);
  ASSERT_GT(F1 + B1, F0 + B0);  // the derivation's premise
  const double m = 4;
  const double P1 = F0 + m * (F1 + B1) + (m + 1) * c;
  const double P0 = P1 + B0;
  const double optimizer = estimate.breakdown.optimizer_s;
  const double expected =
      std::max(P0 + stages[0].dp_comm_exposed_s, P1 + stages[1].dp_comm_exposed_s) + optimizer;

  const SimulatedIteration sim =
      simulate_training_iteration(tiny_gpt(), layout, hand_gpu(), topology, cluster, 8);
  constexpr double kTol = 1e-6;
  EXPECT_EQ(sim.micro_batches, 4);
  ASSERT_EQ(sim.stage_pipeline_s.size(), 2u);
  EXPECT_LT(relative_error(sim.stage_pipeline_s[0], P0), kTol);
  EXPECT_LT(relative_error(sim.stage_pipeline_s[1], P1), kTol);
  EXPECT_LT(relative_error(sim.pipeline_s, P0), kTol);
  EXPECT_LT(relative_error(sim.iteration_s, expected), kTol);
  EXPECT_LT(relative_error(sim.compute_s, m * (F1 + B1)), kTol);
  EXPECT_EQ(sim.optimizer_s, optimizer);
  EXPECT_TRUE(sim.dp_comm_as_flows);
  EXPECT_LT(relative_error(sim.dp_comm_s,
                           std::max(stages[0].dp_comm_exposed_s, stages[1].dp_comm_exposed_s)),
            kTol);
  // The estimate's bubble is the bottleneck's slot and every slot has both sends: it is slower.
  EXPECT_LT(sim.iteration_s, estimate.iteration_s);
}

// An invalid layout is rejected with the estimate's own message, before SimGrid starts.
TEST(IterationSimulation, InvalidLayoutThrowsTheEstimatesError) {
  const Topology topology = two_gpu_servers(4);
  TrainingLayout layout = tiny_layout();
  layout.tp = 3;  // 3 x 2 x 2 = 12 GPUs on 8
  std::string expected;
  try {
    estimate_training(tiny_gpt(), layout, hand_gpu(), tiny_paths(), 8);
  } catch (const ConfigurationError& error) {
    expected = error.what();
  }
  ASSERT_FALSE(expected.empty());
  try {
    simulate_training_iteration(tiny_gpt(), layout, hand_gpu(), topology, efficiencies(1, 1), 8);
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& error) {
    EXPECT_EQ(std::string(error.what()), expected);
  }
}

// Interleaved 1F1B by hand: tiny_gpt (4 layers) on tp 1 x pp 2 x dp 1 with vpp 2, m = 2, on
// one server of 2 GPUs (GPU 0 - NVSwitch - GPU 1). Four chunks of one layer: rank 0 holds
// virtual stages 0 and 2, rank 1 stages 1 and 3 (+ logits). Every chunk's forward is f and
// backward b, except rank 1's chunk 1, which adds the logits' h and hb; each transfer takes c.
// m = pp, so every forward is warm-up (Megatron's all-warm-up case); the programs
// (PipelineProgram_test's InterleavedOrderByHand) play out as
//   R0 F(0,0) [0, f], its send -> f + c;  R1 receives it.
//   R0 F(0,1) and R1 F(0,0) both end at 2f + c and exchange (two directions at once): 2f + 2c.
//   R0 F(1,0) and R1 F(0,1): 3f + 3c.  R0 F(1,1) sends while R1 F(1,0) (f + h) waits for it:
//   4f + 4c + h.  R1 F(1,1): 5f + 4c + 2h; R1 B(1,0) (b + hb) sends its gradient to R0, which
//   waits for it: 5f + b + 5c + 2h + hb.  R0 B(1,0) (b) and R1 B(1,1) (b + hb) exchange:
//   5f + 2b + 6c + 2h + 2hb.  R0 B(1,1), R1 B(0,0): + b + c.  R0 B(0,0), R1 B(0,1) (R1 sends,
//   R0 receives): + b + c, R1 done at P1 = 5f + 4b + 8c + 2(h + hb).  R0 B(0,1): P0 = P1 + b.
// That is m vpp (f + b) + (pp - 1)(f + b): the interleaved bubble of (pp - 1) chunk slots
// (Narayanan et al. SC'21, eq. 2), plus 8 transfers and the logits' 2 micro-batches.
TEST(IterationSimulation, InterleavedScheduleMatchesByHand) {
  const Topology topology = two_gpu_servers(1);
  const ClusterConfig cluster = efficiencies(0.9, 0.8);
  TrainingLayout layout = tiny_layout();
  layout.tp = 1;
  layout.dp = 1;
  layout.vpp = 2;
  layout.global_batch = 2;
  const CommPaths comm = comm_paths(topology, cluster, layout);
  const std::vector<StageEstimate> stages =
      estimate_stages(tiny_gpt(), layout, hand_gpu(), comm, 2);
  const TrainingEstimate estimate = estimate_training(tiny_gpt(), layout, hand_gpu(), comm, 2);
  ASSERT_EQ(estimate.micro_batches, 2);
  const MicroBatchTimes& t0 = stages[0].micro_batch;
  const MicroBatchTimes& t1 = stages[1].micro_batch;
  // The estimate charges vpp sends per micro-batch: one per chunk.
  const double c = t0.pp_forward_s / 2;
  const double f = (t0.forward_s - t0.pp_forward_s) / 2, b = (t0.backward_s - t0.pp_backward_s) / 2;
  const double h = t1.forward_s - t1.pp_forward_s - 2 * f;
  const double hb = t1.backward_s - t1.pp_backward_s - 2 * b;
  ASSERT_GT(h, 0);
  const double P1 = 5 * f + 4 * b + 8 * c + 2 * (h + hb);
  const double P0 = P1 + b;

  const SimulatedIteration sim =
      simulate_training_iteration(tiny_gpt(), layout, hand_gpu(), topology, cluster, 2);
  constexpr double kTol = 1e-6;
  ASSERT_EQ(sim.stage_pipeline_s.size(), 2u);
  EXPECT_LT(relative_error(sim.stage_pipeline_s[0], P0), kTol);
  EXPECT_LT(relative_error(sim.stage_pipeline_s[1], P1), kTol);
  EXPECT_LT(relative_error(sim.iteration_s, P0 + estimate.breakdown.optimizer_s), kTol);
  // The estimate: (m + (pp - 1) / vpp) slots of the bottleneck (rank 1), each with 2 vpp sends.
  EXPECT_LT(relative_error(estimate.iteration_s - estimate.breakdown.optimizer_s,
                           2.5 * (t1.forward_s + t1.backward_s)),
            1e-12);
  EXPECT_LT(sim.iteration_s, estimate.iteration_s);
}

// Interleaving a published layout (megatron-core-h100-177b with vpp 2: 12 virtual stages of 8
// layers, m = 24) shrinks the bubble as the estimate says: the two agree within 2%.
TEST(IterationSimulation, InterleavedAgreesWithTheEstimateOnMegatronCore177b) {
  const auto [prediction, sim] = simulate_published_run("megatron-core-h100-177b", 2);
  ASSERT_EQ(prediction.layout.vpp, 2);
  const double estimate_s = prediction.estimate.iteration_s;
  EXPECT_LT(relative_error(sim.iteration_s, estimate_s), 0.02)
      << "simulated " << sim.iteration_s << " s, estimated " << estimate_s << " s";
  EXPECT_LE(sim.iteration_s, estimate_s * (1 + 1e-9));
}

}  // namespace
}  // namespace capsim::test
