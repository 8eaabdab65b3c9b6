// simulate_collectives: rings and a point-to-point played out on small fabrics, against hand
// calculations from the links' bandwidths and latencies.
//
// SimGrid allows one simulation per process, so each TEST runs at most one; ctest runs every
// case in its own process (gtest_discover_tests). Run the binary with --gtest_filter=one case.
//
// Fabrics use catalog numbers: 450 GB/s NVLink per GPU per direction, 400 Gb/s (50 GB/s) NICs,
// 64-port 400G switches. A route's latency is its cables' plus every NIC and switch (NVSwitch
// included) it passes through: GPU -> NIC -> switch -> NIC -> GPU costs
//   NIC 1 us + cable 0.01 us + switch 0.2 us + cable 0.01 us + NIC 1 us = 2.22 us,
// and GPU -> NVSwitch -> GPU costs the NVSwitch's 0.5 us.
#include "capsim/sim/CollectiveSimulation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "capsim/models/Collectives.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

constexpr double kNic_Bps = 50e9;
constexpr double kNvlink_Bps = 450e9;
constexpr double kNicLatency_s = 1.0e-6;
constexpr double kSwitchLatency_s = 0.2e-6;
constexpr double kCableLatency_s = 0.01e-6;
constexpr double kNvlinkLatency_s = 0.5e-6;

using Kind = SimulatedCollective::Kind;

// Servers of `gpus` GPUs in one NVLink domain, one 400G NIC per GPU, 64-port switches.
FabricSpec servers_of(int gpus, FabricTemplate kind, int servers) {
  FabricSpec spec;
  spec.kind = kind;
  spec.servers = servers;
  spec.gpus_per_server = gpus;
  spec.nvlink_domain_gpus = gpus;
  spec.nvlink_bandwidth_Bps = kNvlink_Bps;
  spec.nvlink_latency_s = kNvlinkLatency_s;
  spec.nics_per_server = gpus;
  spec.nic_bandwidth_Bps = kNic_Bps;
  spec.nic_latency_s = kNicLatency_s;
  spec.leaf = SwitchModel{64, kNic_Bps, kSwitchLatency_s};
  spec.spine = spec.leaf;
  spec.core = spec.leaf;
  spec.cable_latency_s = kCableLatency_s;
  return spec;
}

// GPU -> NIC -> switch -> NIC -> GPU (see the top of the file).
constexpr double kOneSwitch_s =
    kNicLatency_s + kCableLatency_s + kSwitchLatency_s + kCableLatency_s + kNicLatency_s;

TEST(CollectiveSimulation, PointToPointAcrossOneSwitch) {
  const Topology t = build_topology(servers_of(8, FabricTemplate::SingleSwitch, 2));
  // GPU 0 of server 0 to GPU 0 of server 1 (rank 8): 2.22 us, then 1 MB at the NIC's 50 GB/s
  // (every link on the way runs at 50 GB/s) = 20 us.
  const double bytes = 1e6;
  const double expected_s = kOneSwitch_s + bytes / kNic_Bps;
  EXPECT_NEAR(expected_s, 22.22e-6, 1e-12);
  const double finish_s = simulate_collectives(t, {{{0, 8}, bytes, Kind::PointToPoint}});
  EXPECT_NEAR(finish_s, expected_s, 1e-6 * expected_s);
}

TEST(CollectiveSimulation, EmptyMessageThroughThreeTiersTakesTheRouteLatency) {
  // 8-port switches at 1:1 make a small clos3: 4 leaf ports down, pods of 4 leaves, 8 NICs per
  // server, so servers 0-1 fill pod 0 and servers 2-3 pod 1. GPU 0 to GPU 31 climbs leaf, spine,
  // core and back down: NIC 1 us + 5 x (cable 0.01 + switch 0.2 us) + cable 0.01 us + NIC 1 us
  // = 3.06 us, the same route latency Topology::collective_path() reports.
  FabricSpec spec = servers_of(8, FabricTemplate::Clos3, 4);
  spec.leaf.ports = spec.spine.ports = spec.core.ports = 8;
  const Topology t = build_topology(spec);
  ASSERT_EQ(t.hops(0, 31), 5);
  const double expected_s = 2 * kNicLatency_s + 6 * kCableLatency_s + 5 * kSwitchLatency_s;
  EXPECT_NEAR(t.collective_path({0, 31}).latency_s, expected_s, 1e-15);
  const double finish_s = simulate_collectives(t, {{{0, 31}, 0.0, Kind::PointToPoint}});
  EXPECT_NEAR(finish_s, expected_s, 1e-6 * expected_s);
}

TEST(CollectiveSimulation, RingAllReduceInsideOneNvlinkDomain) {
  const Topology t = build_topology(servers_of(8, FabricTemplate::SingleSwitch, 1));
  // 14 steps of 1 GB / 8 over NVLink, each GPU's link carrying one flow each way:
  // 14 (0.5 us + 125 MB / 450 GB/s) = 14 (0.5 us + 277.78 us) = 3.8959 ms.
  const double bytes = 1e9;
  const double expected_s = 14 * (kNvlinkLatency_s + bytes / 8 / kNvlink_Bps);
  const double formula_s = ring_all_reduce_s(bytes, 8, CommLink{kNvlink_Bps, kNvlinkLatency_s});
  EXPECT_NEAR(formula_s, expected_s, 1e-12);
  const double finish_s =
      simulate_collectives(t, {{{0, 1, 2, 3, 4, 5, 6, 7}, bytes, Kind::AllReduce}});
  EXPECT_NEAR(finish_s, formula_s, 0.01 * formula_s);
  EXPECT_NEAR(finish_s, expected_s, 1e-6 * expected_s);
}

TEST(CollectiveSimulation, RingAllReduceOverFourServersOnOneSwitch) {
  const Topology t = build_topology(servers_of(8, FabricTemplate::SingleSwitch, 4));
  // GPU 0 of each server: every ring step crosses the switch through NIC 0 of two servers,
  // one flow per link direction. 6 steps of 1 GB / 4 at 50 GB/s:
  // 6 (2.22 us + 5 ms) = 30.0133 ms.
  const double bytes = 1e9;
  const double formula_s = ring_all_reduce_s(bytes, 4, CommLink{kNic_Bps, kOneSwitch_s});
  EXPECT_NEAR(formula_s, 6 * (2.22e-6 + 5e-3), 1e-12);
  const double finish_s = simulate_collectives(t, {{{0, 8, 16, 24}, bytes, Kind::AllReduce}});
  EXPECT_NEAR(finish_s, formula_s, 0.01 * formula_s);
  EXPECT_NEAR(finish_s, formula_s, 1e-6 * formula_s);
}

TEST(CollectiveSimulation, ReduceScatterAndAllGatherOnSeparateNics) {
  const Topology t = build_topology(servers_of(8, FabricTemplate::SingleSwitch, 4));
  // GPUs 1 and 2 of each server use NICs 1 and 2: the two rings share no link, so each takes
  // 3 steps of 1 GB / 4 at 50 GB/s: 3 (2.22 us + 5 ms) = 15.0067 ms.
  const double bytes = 1e9;
  const CommLink link{kNic_Bps, kOneSwitch_s};
  std::vector<double> finish_s;
  const double last_s = simulate_collectives(t,
                                             {{{1, 9, 17, 25}, bytes, Kind::ReduceScatter},
                                              {{2, 10, 18, 26}, bytes, Kind::AllGather},
                                              {{3}, bytes, Kind::AllReduce}},
                                             &finish_s);
  ASSERT_EQ(finish_s.size(), 3u);
  EXPECT_NEAR(finish_s[0], reduce_scatter_s(bytes, 4, link), 1e-6 * finish_s[0]);
  EXPECT_NEAR(finish_s[1], all_gather_s(bytes, 4, link), 1e-6 * finish_s[1]);
  EXPECT_EQ(finish_s[2], 0.0);  // a group of one GPU sends nothing
  EXPECT_EQ(last_s, std::max(finish_s[0], finish_s[1]));
}

// Two servers of 4 GPUs, each server alone under a 6-port leaf split 2:1 (4 NIC ports down,
// 2 uplinks to one spine; a smaller radix than the catalog's so that the load fits a comment).
// Ring A = GPUs {0, 4, 1, 5} alternates servers, so every ring step sends two flows from leaf 0
// to leaf 1 (0->4, 1->5) and two back (4->1, 5->0). Among the two parallel uplinks (and the two
// spine-to-leaf cables) a route takes number (destination rank mod 2), so 0->4 and 1->5 use
// cables 0 and 1, 5->0 and 4->1 cables 0 and 1: one flow per cable direction, each at the NICs'
// 50 GB/s. Ring B = {2, 6, 3, 7} uses NICs 2 and 3 only, and its flows 2->6, 3->7 (cables 0, 1)
// and 7->2, 6->3 (cables 0, 1) add one flow to every cable direction: leaf 0 then pushes 4 flows
// of 50 GB/s demand into 2 x 50 GB/s of uplinks, the 2:1 oversubscription, and max-min sharing
// gives every flow 25 GB/s. Latency of each ring step:
// NIC 1 us + (cable 0.01 + switch 0.2 us) x 3 switches + cable 0.01 us + NIC 1 us = 2.64 us.
// Alone:    6 (2.64 us + 250 MB / 50 GB/s) = 6 (2.64 us + 5 ms)  = 30.0158 ms.
// Together: 6 (2.64 us + 250 MB / 25 GB/s) = 6 (2.64 us + 10 ms) = 60.0158 ms,
// later than alone by 6 x 250 MB / 50 GB/s = 30 ms.
FabricSpec two_leaves_two_to_one() {
  FabricSpec spec = servers_of(4, FabricTemplate::LeafSpine, 2);
  spec.leaf.ports = 6;
  spec.oversubscription = 2.0;
  return spec;
}

constexpr double kCrossSpine_s = 2 * kNicLatency_s + 4 * kCableLatency_s + 3 * kSwitchLatency_s;
constexpr double kRingBytes = 1e9;
constexpr double kAlone_s = 6 * (kCrossSpine_s + kRingBytes / 4 / kNic_Bps);

TEST(CollectiveSimulation, OversubscribedRingAloneRunsAtNicSpeed) {
  const Topology t = build_topology(two_leaves_two_to_one());
  ASSERT_EQ(t.bill_of_materials().leaf_switches, 2);
  ASSERT_EQ(t.bill_of_materials().spine_switches, 1);
  ASSERT_EQ(t.bill_of_materials().leaf_spine_cables, 4);
  EXPECT_NEAR(kCrossSpine_s, 2.64e-6, 1e-15);
  const double finish_s = simulate_collectives(t, {{{0, 4, 1, 5}, kRingBytes, Kind::AllReduce}});
  EXPECT_NEAR(finish_s, kAlone_s, 1e-6 * kAlone_s);
  EXPECT_NEAR(finish_s, ring_all_reduce_s(kRingBytes, 4, CommLink{kNic_Bps, kCrossSpine_s}),
              1e-6 * kAlone_s);
}

TEST(CollectiveSimulation, TwoRingsShareOversubscribedUplinks) {
  const Topology t = build_topology(two_leaves_two_to_one());
  std::vector<double> finish_s;
  simulate_collectives(
      t, {{{0, 4, 1, 5}, kRingBytes, Kind::AllReduce}, {{2, 6, 3, 7}, kRingBytes, Kind::AllReduce}},
      &finish_s);
  const double later_s = 6 * kRingBytes / 4 / kNic_Bps;  // 30 ms, see the comment above
  const double together_s = kAlone_s + later_s;
  EXPECT_NEAR(together_s, 60.01584e-3, 1e-12);
  ASSERT_EQ(finish_s.size(), 2u);
  EXPECT_NEAR(finish_s[0], together_s, 1e-6 * together_s);
  EXPECT_NEAR(finish_s[1], together_s, 1e-6 * together_s);
}

std::string error_of(const Topology& t, const std::vector<SimulatedCollective>& collectives) {
  try {
    simulate_collectives(t, collectives);
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CollectiveSimulation, BadInputNamesTheProblem) {
  const Topology t = build_topology(servers_of(8, FabricTemplate::SingleSwitch, 2));
  // Input is checked before SimGrid starts, so one process can try every case.
  EXPECT_NE(error_of(t, {}).find("no collectives"), std::string::npos);
  EXPECT_NE(error_of(t, {{{}, 1e6, Kind::AllReduce}}).find("collective 0 has no ranks"),
            std::string::npos);
  EXPECT_NE(error_of(t, {{{0, 1}, 1e6, Kind::AllReduce}, {{0, 16}, 1e6, Kind::AllReduce}})
                .find("collective 1: rank 16 does not exist; the topology has 16 GPUs"),
            std::string::npos);
  EXPECT_NE(error_of(t, {{{-1, 0}, 1e6, Kind::AllGather}}).find("rank -1 does not exist"),
            std::string::npos);
  EXPECT_NE(error_of(t, {{{0, 1}, -1.0, Kind::AllReduce}}).find("bytes is -1"), std::string::npos);
  EXPECT_NE(error_of(t, {{{0, 3, 0}, 1e6, Kind::AllReduce}}).find("rank 0 appears twice"),
            std::string::npos);
  EXPECT_NE(error_of(t, {{{0, 1, 2}, 1e6, Kind::PointToPoint}}).find("expected exactly two"),
            std::string::npos);

  // Two GPUs without any link: no route.
  TopologyGraph graph;
  for (int r = 0; r < 2; ++r) {
    Node gpu;
    gpu.index = r;
    gpu.name = "gpu" + std::to_string(r);
    boost::add_vertex(gpu, graph);
  }
  EXPECT_NE(error_of(Topology(graph), {{{0, 1}, 1e6, Kind::PointToPoint}})
                .find("no route from GPU 0 (gpu0) to GPU 1 (gpu1)"),
            std::string::npos);
}

TEST(CollectiveSimulation, SecondSimulationInOneProcessIsRefused) {
  const Topology t = build_topology(servers_of(8, FabricTemplate::SingleSwitch, 1));
  EXPECT_GT(simulate_collectives(t, {{{0, 1}, 1e6, Kind::PointToPoint}}), 0.0);
  EXPECT_NE(error_of(t, {{{0, 1}, 1e6, Kind::PointToPoint}}).find("one engine per process"),
            std::string::npos);
}

}  // namespace
}  // namespace capsim
