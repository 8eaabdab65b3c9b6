// megatron-sc21-39.1b's two pipeline stages' gradient rings, statically routed, share a switch
// uplink. Each ring alone takes the closed form's time; the two together take twice as long, as
// two flows sharing one link each get half of it, and the estimate's route analysis
// (RingContention.hpp) finds the same half. One simulation per test case (one engine per
// process).
#include <gtest/gtest.h>

#include "capsim/models/Collectives.hpp"
#include "capsim/models/RingContention.hpp"
#include "capsim/sim/CollectiveSimulation.hpp"
#include "models/TrainingTestFixtures.hpp"
#include "sim/PublishedSimulation.hpp"

namespace capsim::test {
namespace {

struct RowRings {
  Topology topology;
  std::vector<SimulatedCollective> rings;  ///< by stage: NIC 0's ring (tensor rank 0)
  std::vector<double> closed_form_s;  ///< ring_all_reduce_s on the dp link alone, raw bandwidth
  std::vector<double> contended_s;    ///< the same at the bandwidth the route analysis leaves
};

// The rail-optimized fabric of megatron-sc21-39.1b (64 servers, 8 rails of 40-port HDR
// switches), and each stage's all-reduce of its fp32 gradients over replicas 0..31.
RowRings sc21_39b_rings() {
  auto runs = load_published_training_runs(kPublicTraining);
  const auto run = std::find_if(runs.begin(), runs.end(), [](const PublishedTrainingRun& r) {
    return r.id == "megatron-sc21-39.1b";
  });
  const Catalog& catalog = shipped_catalog();
  const TrainingPrediction p = predict_published_run(*run, catalog);
  ClusterConfig cluster = published_run_cluster(*run, catalog);
  // simulate_collectives() plays the links at their raw bandwidth: so does the closed form here.
  cluster.nic.collective_efficiency = 1.0;
  cluster.gpu.scaleup_collective_efficiency = 1.0;
  EconomicsConfig economics;
  economics.params = catalog.economics.at("default");
  RowRings out{plan_cluster(cluster, economics).topology, {}, {}, {}};
  const TrainingLayout& l = p.layout;
  const CommLink alone = comm_link(out.topology, cluster, l.dp, l.tp * l.cp);
  const CommLink contended{dp_rings_shared(out.topology, l).shared_Bps, alone.latency_s};
  for (int k = 0; k < l.pp; ++k) {
    SimulatedCollective ring;
    for (int j = 0; j < l.dp; ++j) ring.ranks.push_back(k * l.tp * l.dp + j * l.tp);
    ring.bytes = local_stage_parameters(p.model, l, k).total() * kGradReduceFp32BytesPerParam;
    out.closed_form_s.push_back(ring_all_reduce_s(ring.bytes, l.dp, alone));
    out.contended_s.push_back(ring_all_reduce_s(ring.bytes, l.dp, contended));
    out.rings.push_back(ring);
  }
  return out;
}

// Alone, a stage's ring is the closed form within its latency (each step pays the neighbours'
// route, the closed form the farthest pair's): within 1%.
TEST(RingCollision, EachStageRingAloneIsTheClosedForm) {
  const RowRings rows = sc21_39b_rings();
  ASSERT_EQ(rows.rings.size(), 2u);
  const double alone_s = simulate_collectives(rows.topology, {rows.rings[0]});
  EXPECT_LT(relative_error(alone_s, rows.closed_form_s[0]), 0.01)
      << "simulated " << alone_s << " s, closed form " << rows.closed_form_s[0] << " s";
}

// Together, the two rings' flows leaving rail leaf 1 (stage 0's wrap-around 31 -> 0, stage 1's
// 39 -> 40) take the same uplink (D-mod-k: destinations 0 and 320 are both 0 mod 20 uplinks):
// every step of both rings runs at half the link, so each ring takes 2x its time alone; the
// estimate's analysis of the same routes leaves each ring half the uplink, the same time.
TEST(RingCollision, TheTwoStageRingsTogetherTakeTwiceAsLong) {
  const RowRings rows = sc21_39b_rings();
  std::vector<double> each;
  simulate_collectives(rows.topology, rows.rings, &each);
  ASSERT_EQ(each.size(), 2u);
  for (int k = 0; k < 2; ++k) {
    EXPECT_LT(relative_error(each[k], 2 * rows.closed_form_s[k]), 0.01)
        << "stage " << k << ": " << each[k] << " s";
    EXPECT_LT(relative_error(each[k], rows.contended_s[k]), 0.01)
        << "stage " << k << ": " << each[k] << " s, route analysis " << rows.contended_s[k];
  }
}

// Adaptive routing on the same fabric: each flow takes the least loaded of its equal next hops,
// so the two rings' flows leave rail leaf 1 on different uplinks and each ring keeps the time it
// takes alone; the estimate leaves the rings their share of the fabric (no route analysis).
TEST(RingCollision, AdaptiveRoutingKeepsEachRingAtItsTimeAlone) {
  RowRings rows = sc21_39b_rings();
  rows.topology.set_routing(Routing::Adaptive);
  std::vector<double> each;
  simulate_collectives(rows.topology, rows.rings, &each);
  ASSERT_EQ(each.size(), 2u);
  for (int k = 0; k < 2; ++k)
    EXPECT_LT(relative_error(each[k], rows.closed_form_s[k]), 0.01)
        << "stage " << k << ": " << each[k] << " s";
}

}  // namespace
}  // namespace capsim::test
