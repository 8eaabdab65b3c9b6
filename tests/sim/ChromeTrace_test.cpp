// The simulated timeline as a Chrome trace, parsed back and checked against the hand-derived
// 1F1B schedule of IterationSimulation_test's tiny pipeline.
#include "capsim/sim/ChromeTrace.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "capsim/models/TrainingPlan.hpp"
#include "models/TrainingTestFixtures.hpp"
#include "sim/SimTestTopologies.hpp"

namespace capsim::test {
namespace {

using Json = nlohmann::json;

// tiny_gpt on tiny_layout (tp 2 x pp 2 x dp 2, m = 4; stage 0 on GPU 0, stage 1 on GPU 4):
// stage 0's first forward runs [0, F0] and its activation reaches stage 1 at F0 + c, so stage
// 1's first forward runs [F0 + c, F0 + c + F1]; stage 0's last backward ends at
// P0 = F0 + m (F1 + B1) + (m + 1) c + B0 (the derivation in IterationSimulation_test).
TEST(ChromeTrace, EventsFollowTheSimulatedSchedule) {
  const Topology topology = two_gpu_servers(4);
  const ClusterConfig cluster = efficiencies(0.9, 0.8);
  const TrainingLayout layout = tiny_layout();
  const CommPaths comm = comm_paths(topology, cluster, layout);
  const std::vector<StageEstimate> stages =
      estimate_stages(tiny_gpt(), layout, hand_gpu(), comm, 8);
  auto forward = [&](int k) {
    return stages[k].micro_batch.forward_s - stages[k].micro_batch.pp_forward_s;
  };
  auto backward = [&](int k) {
    return stages[k].micro_batch.backward_s - stages[k].micro_batch.pp_backward_s;
  };
  const double c = stages[0].micro_batch.pp_forward_s, m = 4;
  const double P0 = forward(0) + m * (forward(1) + backward(1)) + (m + 1) * c + backward(0);

  PlacedJob job{"tiny", tiny_gpt(), layout, hand_gpu(), comm, {0, 1, 2, 3, 4, 5, 6, 7}, {}};
  SimulationSettings settings;
  settings.record_trace = true;
  const JobsSimulation result = simulate_training_jobs({job}, topology, cluster, settings);
  std::ostringstream text;
  write_chrome_trace(result.trace, {"tiny"}, text);
  const Json trace = Json::parse(text.str());

  std::map<int, std::vector<Json>> by_stage;
  std::map<int, std::string> thread_names;
  for (const Json& event : trace.at("traceEvents")) {
    if (event["ph"] == "M") {
      if (event["name"] == "process_name") {
        EXPECT_EQ(event["args"]["name"], "tiny");
      }
      if (event["name"] == "thread_name") thread_names[event["tid"]] = event["args"]["name"];
      continue;
    }
    ASSERT_EQ(event["ph"], "X");
    EXPECT_EQ(event["pid"], 0);
    EXPECT_GE(event["ts"].get<double>(), 0);
    EXPECT_GE(event["dur"].get<double>(), 0);
    by_stage[event["tid"]].push_back(event);
  }
  EXPECT_EQ(thread_names[0], "stage 0, GPU 0");
  EXPECT_EQ(thread_names[1], "stage 1, GPU 4");
  ASSERT_EQ(by_stage.size(), 2u);
  for (const auto& [stage, events] : by_stage) {
    // m forwards, m backwards, the gradient reduction and the optimizer, one after the other.
    ASSERT_EQ(events.size(), 2 * m + 2) << "stage " << stage;
    for (std::size_t i = 1; i < events.size(); ++i) {
      EXPECT_GE(events[i]["ts"].get<double>(),
                events[i - 1]["ts"].get<double>() + events[i - 1]["dur"].get<double>() - 1e-6);
    }
    EXPECT_EQ(events.back()["name"], "optimizer");
    EXPECT_EQ(events[events.size() - 2]["name"], "dp");
  }
  const Json& first_forward_1 = by_stage[1].front();
  EXPECT_EQ(first_forward_1["name"], "F0.0");
  EXPECT_EQ(first_forward_1["cat"], "forward");
  EXPECT_NEAR(first_forward_1["ts"].get<double>(), (forward(0) + c) * 1e6, 1e-3);
  EXPECT_NEAR(first_forward_1["dur"].get<double>(), forward(1) * 1e6, 1e-3);
  const Json& last_backward_0 = by_stage[0][2 * m - 1];
  EXPECT_EQ(last_backward_0["name"], "B3.0");
  EXPECT_NEAR(last_backward_0["ts"].get<double>() + last_backward_0["dur"].get<double>(), P0 * 1e6,
              1e-3);
}

}  // namespace
}  // namespace capsim::test
