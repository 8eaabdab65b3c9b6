// The two fidelities agree where nothing contends: every row of
// shared/validation/training_public.csv, at full size, simulated (one iteration, no variability,
// no other job) and estimated on the same cluster. One test case per row (each in its own
// process: SimGrid allows one engine per process); each prints both times and the difference.
//
// Rows where the simulation sees a physical effect the estimate leaves out are named in
// kKnownDifferences with the effect; their test checks that the effect is what makes the
// difference, so a change of cause fails as loudly as a change of size.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "models/TrainingTestFixtures.hpp"
#include "sim/PublishedSimulation.hpp"

namespace capsim::test {
namespace {

// Rows whose data-parallel gradient rings, played as flows, are faster than the estimate's: the
// estimate prices every ring at the bandwidth it keeps when all the job's rings run at once
// (RingContention.hpp: statically routed, some share a switch uplink), but in the pipeline the
// stages finish their last backward one slot apart, so the first rings run alone for a while
// before the later ones start. The effect and the formula the estimate would need are in
// docs/simulation.md.
const std::map<std::string, std::string> kKnownDifferences = {
    // rail-optimized, 40-port leaves: stage 0's wrap-around flow (server 31 -> 0) and stage 1's
    // 39 -> 40 leave rail leaf 1 on the same uplink (destination GPUs 0 and 320, both 0 mod 20
    // uplinks); stage 1's ring starts a backward slot before stage 0's.
    {"megatron-sc21-39.1b", "stage rings share a rail-leaf uplink, one backward slot apart"},
    {"megatron-sc21-76.1b", "stage rings share leaf and spine uplinks, staggered by the pipeline"},
    // three-tier Clos: rings of different stages (and tensor ranks) collide on leaf and spine
    // uplinks, the stages up to 15 slots apart.
    {"megatron-sc21-310.1b", "stage rings share leaf and spine uplinks, staggered by the pipeline"},
};

std::vector<std::string> row_ids() {
  std::vector<std::string> ids;
  for (const PublishedTrainingRun& run : load_published_training_runs(kPublicTraining))
    ids.push_back(run.id);
  return ids;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (const char ch : info.param)
    name.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  return name;
}

class PublishedAgreement : public ::testing::TestWithParam<std::string> {};

TEST_P(PublishedAgreement, SimulateMatchesEstimate) {
  const std::string& id = GetParam();
  const auto [prediction, sim] = simulate_published_run(id);
  const TrainingEstimate& e = prediction.estimate;
  const double difference = sim.iteration_s / e.iteration_s - 1;
  std::printf(
      "%s: estimate %.4f s, simulate %.4f s, difference %+.2f%%; data-parallel %s: estimate "
      "%.4f s, simulate %.4f s\n",
      id.c_str(), e.iteration_s, sim.iteration_s, 100 * difference,
      sim.dp_comm_as_flows ? "rings as flows" : "closed form", e.breakdown.dp_comm_s,
      sim.dp_comm_s);
  EXPECT_EQ(sim.micro_batches, e.micro_batches);
  // Without the data-parallel part the pipelines always agree: the estimate's 1F1B part is an
  // upper bound (its bubble charges the bottleneck's slot, and each slot both sends).
  EXPECT_LE(sim.pipeline_s,
            (e.iteration_s - e.breakdown.dp_comm_s - e.breakdown.optimizer_s) * (1 + 1e-9));
  const auto known = kKnownDifferences.find(id);
  if (known == kKnownDifferences.end()) {
    EXPECT_LT(std::abs(difference), 0.02) << id;
    return;
  }
  // The named effect: the rings ran as flows, shorter than the estimate's all-at-once rings by
  // at least half the iteration's difference (the rest is the pipeline, whose estimate is an
  // upper bound), which is faster than the estimate by 2-6%.
  EXPECT_TRUE(sim.dp_comm_as_flows) << known->second;
  EXPECT_LT(sim.dp_comm_s, e.breakdown.dp_comm_s) << known->second;
  EXPECT_GT(e.breakdown.dp_comm_s - sim.dp_comm_s, -0.5 * difference * e.iteration_s)
      << known->second;
  EXPECT_LT(difference, -0.02) << known->second;
  EXPECT_GT(difference, -0.06) << known->second;
}

INSTANTIATE_TEST_SUITE_P(TrainingPublic, PublishedAgreement, ::testing::ValuesIn(row_ids()),
                         test_name);

}  // namespace
}  // namespace capsim::test
