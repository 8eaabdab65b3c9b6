// Data-parallel collectives played as ring flows beside the compute they overlap (Megatron's
// --overlap-grad-reduce / --overlap-param-gather) and under ZeRO-2/3, checked by hand.
//
// tiny_gpt on tp 2 x pp 1 x dp 2 over two servers of 2 GPUs (two_gpu_servers(2)): one pipeline
// rank, m = 8 / (2 x 1) = 4 micro-batches, each forward F then backward B (kernels and
// tensor-parallel traffic: the window an overlapped collective hides in).
// The ring pair (GPU 0 and GPU 2) crosses NIC - switch - NIC: one ring step moves S / 2 bytes
// (S = the rank's local parameters x 2 bf16 bytes: tiny_layout reduces gradients in bf16) in
//   step = 2.22 us + (S / 2) / (50 GB/s x 0.8)
// (1 us + 0.01 + 0.2 + 0.01 + 1 us of latency; IterationSimulation_test derives the same route).
// A reduce-scatter and an all-gather are one step each over dp 2.
//
// SimGrid allows one simulation per process: one simulation per TEST (ctest runs each alone).
#include <gtest/gtest.h>

#include <algorithm>

#include "capsim/models/TrainingEstimate.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/IterationSimulation.hpp"
#include "models/TrainingTestFixtures.hpp"
#include "sim/SimTestTopologies.hpp"

namespace capsim::test {
namespace {

constexpr int kGpus = 4;

TrainingLayout one_stage(int zero_stage, bool overlap) {
  TrainingLayout layout = tiny_layout();
  layout.pp = 1;
  layout.zero_stage = zero_stage;
  layout.overlap_dp_comm = overlap;
  return layout;
}

struct HandFigures {
  double F = 0, B = 0, step = 0, optimizer = 0, estimate = 0;
};

HandFigures hand_figures(const TrainingLayout& layout) {
  const Topology topology = two_gpu_servers(2);
  const CommPaths comm = comm_paths(topology, efficiencies(0.9, 0.8), layout);
  const StageEstimate stage = estimate_stages(tiny_gpt(), layout, hand_gpu(), comm, kGpus)[0];
  const TrainingEstimate estimate = estimate_training(tiny_gpt(), layout, hand_gpu(), comm, kGpus);
  HandFigures h;
  h.F = stage.micro_batch.forward_s;
  h.B = stage.micro_batch.backward_s;
  const double S = local_stage_parameters(tiny_gpt(), layout, 0).total() * 2.0;
  h.step = 2.22e-6 + (S / 2) / (50e9 * 0.8);
  h.optimizer = estimate.breakdown.optimizer_s;
  h.estimate = estimate.iteration_s;
  return h;
}

double beyond(double comm_s, double window_s) { return std::max(0.0, comm_s - window_s); }

SimulatedIteration simulate(const TrainingLayout& layout) {
  return simulate_training_iteration(tiny_gpt(), layout, hand_gpu(), two_gpu_servers(2),
                                     efficiencies(0.9, 0.8), kGpus);
}

constexpr double kTol = 1e-6;

// ZeRO-1 overlapped: the all-gather starts with the iteration and is needed when the first
// forward ends, the reduce-scatter starts with the last backward and is needed after it; each
// shows only what outlasts its window:
//   iteration = 4 (F + B) + (step - F)+ + (step - B)+ + optimizer.
TEST(OverlappedCollectives, ZeroOneHidesBehindTheFirstForwardAndTheLastBackward) {
  const TrainingLayout layout = one_stage(1, true);
  const HandFigures h = hand_figures(layout);
  // The premise: both collectives outlast their windows but are partly hidden.
  ASSERT_GT(h.step, h.B);
  ASSERT_GT(h.step, h.F);
  const double exposed = beyond(h.step, h.F) + beyond(h.step, h.B);
  ASSERT_LT(exposed, 2 * h.step);
  const SimulatedIteration sim = simulate(layout);
  EXPECT_TRUE(sim.dp_comm_as_flows);
  EXPECT_LT(relative_error(sim.iteration_s, 4 * (h.F + h.B) + exposed + h.optimizer), kTol);
  EXPECT_LT(relative_error(sim.iteration_s, h.estimate), kTol);
  EXPECT_LT(relative_error(sim.dp_comm_s, exposed), kTol);
}

// ZeRO-2 overlapped: a reduce-scatter with every backward, the gather with the first forward:
//   iteration = 4 (F + B) + 4 (step - B)+ + (step - F)+ + optimizer.
TEST(OverlappedCollectives, ZeroTwoScattersBesideEveryBackward) {
  const TrainingLayout layout = one_stage(2, true);
  const HandFigures h = hand_figures(layout);
  ASSERT_GT(h.step, h.B);
  const double expected =
      4 * (h.F + h.B) + 4 * beyond(h.step, h.B) + beyond(h.step, h.F) + h.optimizer;
  const SimulatedIteration sim = simulate(layout);
  EXPECT_TRUE(sim.dp_comm_as_flows);
  EXPECT_LT(relative_error(sim.iteration_s, expected), kTol);
  EXPECT_LT(relative_error(sim.iteration_s, h.estimate), kTol);
}

// ZeRO-3 without overlap: every forward waits for its gather, every backward for a gather and a
// reduce-scatter (one flow of both steps' bytes after one step's latency: 2 steps' time):
//   iteration = 4 (F + B) + 4 (step + 2 step) + optimizer.
TEST(OverlappedCollectives, ZeroThreeGathersAroundEveryMicroBatch) {
  const TrainingLayout layout = one_stage(3, false);
  const HandFigures h = hand_figures(layout);
  const double expected = 4 * (h.F + h.B) + 4 * 3 * h.step + h.optimizer;
  const SimulatedIteration sim = simulate(layout);
  EXPECT_TRUE(sim.dp_comm_as_flows);
  EXPECT_LT(relative_error(sim.iteration_s, expected), kTol);
  EXPECT_LT(relative_error(sim.iteration_s, h.estimate), kTol);
}

// ZeRO-3 overlapped: the forward's gather behind F, the backward's gather and scatter behind B:
//   iteration = 4 (F + B) + 4 ((step - F)+ + (2 step - B)+) + optimizer.
TEST(OverlappedCollectives, ZeroThreeOverlappedShowsOnlyTheExcess) {
  const TrainingLayout layout = one_stage(3, true);
  const HandFigures h = hand_figures(layout);
  ASSERT_GT(2 * h.step, h.B);
  const double expected =
      4 * (h.F + h.B) + 4 * (beyond(h.step, h.F) + beyond(2 * h.step, h.B)) + h.optimizer;
  const SimulatedIteration sim = simulate(layout);
  EXPECT_LT(relative_error(sim.iteration_s, expected), kTol);
  EXPECT_LT(relative_error(sim.iteration_s, h.estimate), kTol);
}

}  // namespace
}  // namespace capsim::test
