// Slow GPUs in the simulation, checked by hand: one server 20% slow in one iteration of a
// pipeline. One simulation per test case (one engine per process).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "capsim/models/Errors.hpp"
#include "capsim/models/TrainingPlan.hpp"
#include "capsim/sim/JobsSimulation.hpp"
#include "models/TrainingTestFixtures.hpp"
#include "sim/SimTestTopologies.hpp"

namespace capsim::test {
namespace {

// tiny_gpt on tiny_layout (tp 2 x pp 2 x dp 2, m = 4) on 4 servers of 2 GPUs, as in
// IterationSimulation_test's TinyPipelineMatchesThe1F1BScheduleByHand: stage 0 is servers 0
// (replica 0) and 1 (replica 1), stage 1 servers 2 and 3. There, with c the pipeline transfer
// and F_k, B_k stage k's forward and backward, stage 1 (the logits) the bottleneck:
//   P1 = F0 + m (F1 + B1) + (m + 1) c,   P0 = P1 + B0,
//   iteration = max(P0 + dp0 + opt, P1 + dp1 + opt).
// Server 3 (GPUs 6 and 7: replica 1 of stage 1) computes 20% slower in iteration 1 of 3. Its
// replica's pipeline then runs stage 1 at 1.2 (F1 + B1) per slot, and replica 0 waits for it at
// the gradient reduction, so iteration 1 is the derivation above with stage 1's F1, B1 and
// optimizer x 1.2 (the bottleneck only gets slower, so its premise holds): it follows the slow
// stage, m x 0.2 (F1 + B1) + ... longer. Iterations 0 and 2 are nominal.
void expect_one_slow_server_by_hand(bool replay_replicas) {
  const Topology topology = two_gpu_servers(4);
  const ClusterConfig cluster = efficiencies(0.9, 0.8);
  const TrainingLayout layout = tiny_layout();
  const CommPaths comm = comm_paths(topology, cluster, layout);
  const std::vector<StageEstimate> stages =
      estimate_stages(tiny_gpt(), layout, hand_gpu(), comm, 8);
  const TrainingEstimate estimate = estimate_training(tiny_gpt(), layout, hand_gpu(), comm, 8);
  const double c = stages[0].micro_batch.pp_forward_s;
  auto forward = [&](int k) {
    return stages[k].micro_batch.forward_s - stages[k].micro_batch.pp_forward_s;
  };
  auto backward = [&](int k) {
    return stages[k].micro_batch.backward_s - stages[k].micro_batch.pp_backward_s;
  };
  const double m = 4, opt = estimate.breakdown.optimizer_s;
  auto iteration = [&](double slow) {
    const double F0 = forward(0), B0 = backward(0);
    const double F1 = slow * forward(1), B1 = slow * backward(1);
    const double P1 = F0 + m * (F1 + B1) + (m + 1) * c;
    const double P0 = P1 + B0;
    return std::max(P0 + stages[0].dp_comm_exposed_s + opt,
                    P1 + stages[1].dp_comm_exposed_s + slow * opt);
  };

  PlacedJob job{"pipeline", tiny_gpt(), layout, hand_gpu(), comm, {0, 1, 2, 3, 4, 5, 6, 7}, {}};
  SimulationSettings settings;
  settings.iterations = 3;
  settings.gpu_slowdown.assign(3, std::vector<double>(8, 1.0));
  settings.gpu_slowdown[1][6] = settings.gpu_slowdown[1][7] = 1.2;
  settings.replay_replicas = replay_replicas;
  const JobsSimulation result = simulate_training_jobs({job}, topology, cluster, settings);
  ASSERT_EQ(result.jobs.at(0).size(), 3u);
  const auto& its = result.jobs[0];
  constexpr double kTol = 1e-6;
  EXPECT_LT(relative_error(its[0].iteration_s, iteration(1.0)), kTol);
  EXPECT_LT(relative_error(its[1].iteration_s, iteration(1.2)), kTol)
      << "nominal " << iteration(1.0) << " s, slow " << its[1].iteration_s << " s";
  EXPECT_LT(relative_error(its[2].iteration_s, iteration(1.0)), kTol);
  // Each iteration starts when the previous one ended everywhere.
  EXPECT_EQ(its[0].start_s, 0.0);
  EXPECT_LT(relative_error(its[1].start_s, its[0].iteration_s), 1e-12);
  EXPECT_LT(relative_error(its[2].start_s, its[0].iteration_s + its[1].iteration_s), 1e-12);
  // The slow iteration is longer by at least the bottleneck's m x 20% of its slot.
  EXPECT_GT(its[1].iteration_s - its[0].iteration_s, m * 0.2 * (forward(1) + backward(1)));
}

TEST(Straggler, OneSlowServerInAPipelineByHand) { expect_one_slow_server_by_hand(false); }

// Played replica by replica, replica 0 runs at the nominal pace and waits for replica 1 at the
// gradient ring: the same iterations, so the reduction is exact for one slow replica.
TEST(Straggler, EveryReplicaPlayedGivesTheSameByHand) { expect_one_slow_server_by_hand(true); }

TEST(Straggler, AFactorBelowOneIsRejected) {
  const Topology topology = two_gpu_servers(4);
  const TrainingLayout layout = tiny_layout();
  PlacedJob job{"pipeline", tiny_gpt(), layout, hand_gpu(), tiny_paths(), {0, 1, 2, 3, 4, 5, 6, 7},
                {}};
  SimulationSettings settings;
  settings.gpu_slowdown.assign(1, std::vector<double>(8, 1.0));
  settings.gpu_slowdown[0][3] = 0.5;
  EXPECT_THROW(simulate_training_jobs({job}, topology, efficiencies(1, 1), settings),
               ConfigurationError);
}

}  // namespace
}  // namespace capsim::test
