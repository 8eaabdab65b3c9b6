// plan_cluster remembers the topologies it built (TopologyMemo.hpp): planning an equal cluster
// again shares the graph and must give exactly the figures of a topology built afresh, and a
// cluster that differs in any fabric number must not be confused with it.
#include <gtest/gtest.h>

#include "ShippedCatalog.hpp"
#include "capsim/models/Scenario.hpp"
#include "capsim/models/TrainingPlan.hpp"

namespace capsim {
namespace {

TEST(TopologyMemo, EqualFabricsShareOneGraphAndReadTheFiguresOfAFreshBuild) {
  const Scenario s = load_scenario(CAPSIM_SOURCE_DIR "/scenarios/two-jobs-shared-spine.yaml",
                                   test::shipped_catalog());
  const ClusterConfig& cluster = s.clusters.at(0);
  const ClusterPlan first = plan_cluster(cluster, s.economics);
  const ClusterPlan second = plan_cluster(cluster, s.economics);
  EXPECT_EQ(&first.topology.graph(), &second.topology.graph());

  // The reference: the same spec built and analysed without the memo.
  const Topology fresh = build_topology(fabric_spec(cluster));
  EXPECT_EQ(second.bisection_Bps, fresh.bisection_bandwidth_Bps());  // bit for bit
  EXPECT_EQ(second.max_switch_hops, fresh.max_hops());
  const BillOfMaterials bom = fresh.bill_of_materials();
  EXPECT_EQ(second.bom.leaf_switches, bom.leaf_switches);
  EXPECT_EQ(second.bom.spine_switches, bom.spine_switches);
  EXPECT_EQ(second.bom.transceivers, bom.transceivers);
  EXPECT_EQ(boost::num_edges(second.topology.graph()), boost::num_edges(fresh.graph()));

  // 2:1 -> 1:1 changes only the oversubscription: a different fabric, planned anew. With 16-port
  // leaves at 1:1 (8 down, 8 up) the 64 NICs need 8 leaves instead of 7 (10 down at 2:1).
  ClusterConfig full = cluster;
  full.fabric.oversubscription = 1.0;
  const ClusterPlan full_plan = plan_cluster(full, s.economics);
  EXPECT_NE(&full_plan.topology.graph(), &first.topology.graph());
  EXPECT_EQ(full_plan.bisection_Bps, build_topology(fabric_spec(full)).bisection_bandwidth_Bps());
  EXPECT_GT(full_plan.bisection_Bps, first.bisection_Bps);
  EXPECT_EQ(full_plan.bom.leaf_switches, 8);

  // A copy of a planned topology may route differently without touching the shared one.
  Topology adaptive = second.topology;
  adaptive.set_routing(Routing::Adaptive);
  EXPECT_EQ(&adaptive.graph(), &first.topology.graph());
  EXPECT_EQ(first.topology.routing(), cluster.fabric.routing);
}

}  // namespace
}  // namespace capsim
