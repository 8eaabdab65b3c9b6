// Topology: fabric templates, bill of materials, bisection, hops, check() and collective paths.
//
// Every expected number is derived by hand in the comment above it. Switch counts for the
// 400G / 64-port fabrics match NVIDIA's DGX SuperPOD reference architectures (H100 RA table 4:
// 4 SU = 128 nodes -> 32 leaves, 16 spines, 1024 leaf-spine cables; B200 RA: 64 SU = 2048 nodes
// -> 512 leaves, 512 spines, 256 cores, 16384 cables per tier).
#include "capsim/models/Topology.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

constexpr double kNic_Bps = 50e9;      // 400 Gb/s
constexpr double kNvlink_Bps = 450e9;  // NVLink4 per GPU per direction
constexpr double kNicLatency_s = 1.0e-6;
constexpr double kSwitchLatency_s = 0.2e-6;
constexpr double kCableLatency_s = 0.01e-6;
constexpr double kNvlinkLatency_s = 0.5e-6;

// DGX H100-like servers: 8 GPUs in one NVLink domain, 8 x 400G NICs, 64-port 400G switches.
FabricSpec dgx_h100(FabricTemplate kind, int servers, double oversubscription = 1.0) {
  FabricSpec spec;
  spec.kind = kind;
  spec.servers = servers;
  spec.gpus_per_server = 8;
  spec.nvlink_domain_gpus = 8;
  spec.nvlink_bandwidth_Bps = kNvlink_Bps;
  spec.nvlink_latency_s = kNvlinkLatency_s;
  spec.nics_per_server = 8;
  spec.nic_bandwidth_Bps = kNic_Bps;
  spec.nic_latency_s = kNicLatency_s;
  spec.leaf = SwitchModel{64, kNic_Bps, kSwitchLatency_s};
  spec.spine = spec.leaf;
  spec.core = spec.leaf;
  spec.oversubscription = oversubscription;
  spec.cable_latency_s = kCableLatency_s;
  return spec;
}

// Links on the switch named `name` (to check port use).
int links_of(const Topology& topology, const std::string& name) {
  const auto& g = topology.graph();
  for (auto [v, end] = boost::vertices(g); v != end; ++v)
    if (g[*v].name == name) return static_cast<int>(boost::out_degree(*v, g));
  return -1;
}

std::string message_of(const FabricSpec& spec) {
  try {
    build_topology(spec);
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Topology, SingleSwitchFourServers) {
  const Topology t = build_topology(dgx_h100(FabricTemplate::SingleSwitch, 4));
  const BillOfMaterials bom = t.bill_of_materials();
  // 4 servers x 8 GPUs, one NIC each; 4 NVLink domains; 32 NIC ports on one 64-port switch.
  EXPECT_EQ(bom.servers, 4);
  EXPECT_EQ(bom.gpus, 32);
  EXPECT_EQ(bom.nics, 32);
  EXPECT_EQ(bom.nvlink_domains, 4);
  EXPECT_EQ(bom.leaf_switches, 1);
  EXPECT_EQ(bom.spine_switches, 0);
  EXPECT_EQ(bom.nic_leaf_cables, 32);
  EXPECT_EQ(bom.copper_cables, 32);
  EXPECT_EQ(bom.fiber_cables, 0);
  EXPECT_EQ(bom.transceivers, 0);
  // Halves of 2 servers: 16 NICs x 50 GB/s = 800 GB/s per direction.
  EXPECT_DOUBLE_EQ(t.bisection_bandwidth_Bps(), 800e9);
  // Same server: through the NVSwitch (1); other server: through the one switch (1).
  EXPECT_EQ(t.hops(0, 1), 1);
  EXPECT_EQ(t.hops(0, 8), 1);
  EXPECT_EQ(t.max_hops(), 1);
  EXPECT_TRUE(t.check().empty());
  EXPECT_EQ(t.graph()[t.gpu_vertex(13)].name, "server1.gpu5");
}

TEST(Topology, LeafSpine128ServersFullBisection) {
  const Topology t = build_topology(dgx_h100(FabricTemplate::LeafSpine, 128));
  const BillOfMaterials bom = t.bill_of_materials();
  // 1024 NIC ports; leaves split 32 down / 32 up -> 32 leaves. 32 x 32 = 1024 uplinks fill
  // 1024 / 64 = 16 spines (16 divides 32: 2 parallel cables from each leaf to each spine).
  EXPECT_EQ(bom.nics, 1024);
  EXPECT_EQ(bom.leaf_switches, 32);
  EXPECT_EQ(bom.spine_switches, 16);
  EXPECT_EQ(bom.core_switches, 0);
  EXPECT_EQ(bom.nic_leaf_cables, 1024);
  EXPECT_EQ(bom.leaf_spine_cables, 1024);
  EXPECT_EQ(bom.fiber_cables, 1024);
  EXPECT_EQ(bom.transceivers, 2048);
  EXPECT_EQ(links_of(t, "leaf0"), 64);   // 32 NICs + 32 uplinks
  EXPECT_EQ(links_of(t, "spine0"), 64);  // 32 leaves x 2
  // First 64 servers = 512 NICs on leaves 0-15, whose 512 uplinks carry them: 512 x 50 GB/s.
  EXPECT_DOUBLE_EQ(t.bisection_bandwidth_Bps(), 25.6e12);
  // Servers 0-3 share leaf0 (1 switch); server 4 is on leaf1 (leaf, spine, leaf = 3).
  EXPECT_EQ(t.hops(0, 8), 1);
  EXPECT_EQ(t.hops(0, 32), 3);
  EXPECT_EQ(t.max_hops(), 3);
  EXPECT_TRUE(t.check().empty());
}

TEST(Topology, LeafSpine128ServersTwoToOne) {
  const Topology t = build_topology(dgx_h100(FabricTemplate::LeafSpine, 128, 2.0));
  const BillOfMaterials bom = t.bill_of_materials();
  // 2:1 on 64 ports: down = floor(64 x 2/3) = 42, up = ceil(42 / 2) = 21 (one port spare).
  EXPECT_EQ(links_of(t, "leaf0"), 42 + 21);
  // Leaves: ceil(1024 / 42) = 25 (24 full, leaf24 with 16 NICs; servers may straddle leaves).
  // Spines: 25 x 21 = 525 uplinks; divisors of 21 are 1, 3, 7, 21 and 7 spines would need
  // 25 x 3 = 75 ports, so 21 spines with one cable from each leaf.
  EXPECT_EQ(bom.leaf_switches, 25);
  EXPECT_EQ(bom.spine_switches, 21);
  EXPECT_EQ(bom.leaf_spine_cables, 525);
  EXPECT_EQ(bom.transceivers, 1050);
  // First half = NIC ports 0-511: leaves 0-11 (504 NICs, 12 x 21 = 252 uplinks) and 8 NICs on
  // leaf12, which can reach leaf12's other 34 NICs directly. Min cut 252 + 8 = 260 links:
  // 260 x 50 GB/s = 13.0 TB/s (the ideal 512 / 2 = 256 links plus the shared leaf).
  EXPECT_DOUBLE_EQ(t.bisection_bandwidth_Bps(), 13.0e12);
  // A data-parallel pair on full leaves: GPU 0 (leaf0) and GPU 560 (NIC port 560, leaf13).
  // Tier 2; each leaf has 21 x 50 GB/s up for 42 GPUs = 25 GB/s per GPU.
  const CollectivePath dp = t.collective_path({0, 560});
  EXPECT_EQ(dp.tier, 2);
  EXPECT_EQ(dp.switch_hops, 3);
  EXPECT_DOUBLE_EQ(dp.bandwidth_per_gpu_Bps, 25e9);
  // NIC, cable, leaf, cable, spine, cable, leaf, cable, NIC.
  EXPECT_NEAR(dp.latency_s, 2 * kNicLatency_s + 3 * kSwitchLatency_s + 4 * kCableLatency_s, 1e-15);
  // GPUs 0 and 8 both sit on leaf0: tier 1, the NIC's 50 GB/s.
  const CollectivePath same_leaf = t.collective_path({0, 8});
  EXPECT_EQ(same_leaf.tier, 1);
  EXPECT_DOUBLE_EQ(same_leaf.bandwidth_per_gpu_Bps, 50e9);
  EXPECT_NEAR(same_leaf.latency_s, 2 * kNicLatency_s + kSwitchLatency_s + 2 * kCableLatency_s,
              1e-15);
  // A tensor-parallel group of one server stays in its NVLink domain.
  const CollectivePath tp = t.collective_path({0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(tp.tier, 0);
  EXPECT_EQ(tp.switch_hops, 1);
  EXPECT_DOUBLE_EQ(tp.bandwidth_per_gpu_Bps, kNvlink_Bps);
  EXPECT_DOUBLE_EQ(tp.latency_s, kNvlinkLatency_s);
}

// A ring over several GPUs of each server runs one channel per member, each through that
// member's own NIC, and every member forwards all channels over NVLink (NCCL's multi-NIC rings).
TEST(Topology, RingsAcrossServersAddTheMembersNics) {
  const Topology t = build_topology(dgx_h100(FabricTemplate::LeafSpine, 128));
  // Two GPUs of server 0 and two of server 1, all on leaf0: 2 x 50 GB/s of NICs, NVLink 450.
  const CollectivePath two = t.collective_path({0, 1, 8, 9});
  EXPECT_EQ(two.tier, 1);
  EXPECT_DOUBLE_EQ(two.network_Bps, 2 * 50e9);
  EXPECT_DOUBLE_EQ(two.scaleup_Bps, kNvlink_Bps);
  EXPECT_DOUBLE_EQ(two.bandwidth_per_gpu_Bps, 100e9);
  // Whole servers 0 and 1: 8 x 50 = 400 GB/s of NICs, under the 450 GB/s of NVLink.
  std::vector<int> sixteen(16);
  for (int rank = 0; rank < 16; ++rank) sixteen[rank] = rank;
  EXPECT_DOUBLE_EQ(t.collective_path(sixteen).bandwidth_per_gpu_Bps, 400e9);
  // Uneven membership: 3 GPUs of server 0, 1 of server 1 -> the lone member's single NIC.
  const CollectivePath uneven = t.collective_path({0, 1, 2, 8});
  EXPECT_DOUBLE_EQ(uneven.network_Bps, 50e9);
  EXPECT_DOUBLE_EQ(uneven.bandwidth_per_gpu_Bps, 50e9);
  // One GPU per server: each alone in its domain, NVLink unused.
  const CollectivePath rail = t.collective_path({0, 8});
  EXPECT_DOUBLE_EQ(rail.scaleup_Bps, std::numeric_limits<double>::infinity());
}

TEST(Topology, RailOptimized128Servers) {
  const Topology t = build_topology(dgx_h100(FabricTemplate::RailOptimized, 128));
  const BillOfMaterials bom = t.bill_of_materials();
  // 8 rails x ceil(128 / 32) = 4 leaves = 32 leaves; spines as for leaf/spine: 16.
  EXPECT_EQ(bom.leaf_switches, 32);
  EXPECT_EQ(bom.spine_switches, 16);
  EXPECT_EQ(bom.nic_leaf_cables, 1024);
  EXPECT_EQ(bom.leaf_spine_cables, 1024);
  EXPECT_EQ(bom.transceivers, 2048);
  // GPU 0 of servers 0-31 on rail 0's first leaf: one hop; GPU 1 of server 1 is on rail 1 and
  // server 32 on rail 0's second leaf: through a spine. Inside a server: the NVSwitch.
  EXPECT_EQ(t.hops(0, 8), 1);
  EXPECT_EQ(t.hops(0, 31 * 8), 1);
  EXPECT_EQ(t.hops(0, 32 * 8), 3);
  EXPECT_EQ(t.hops(0, 9), 3);
  EXPECT_EQ(t.hops(0, 7), 1);
  EXPECT_EQ(t.max_hops(), 3);
  // First 64 servers: leaves 0-1 of every rail = 16 leaves x 32 uplinks = 512 x 50 GB/s.
  EXPECT_DOUBLE_EQ(t.bisection_bandwidth_Bps(), 25.6e12);
  // The same GPU index of 32 consecutive servers shares a rail leaf (tier 1).
  EXPECT_EQ(t.collective_path({0, 8, 16, 248}).tier, 1);
  EXPECT_EQ(t.collective_path({0, 9}).tier, 2);
  EXPECT_TRUE(t.check().empty());
}

TEST(Topology, Clos3For2048Servers) {
  const Topology t = build_topology(dgx_h100(FabricTemplate::Clos3, 2048));
  const BillOfMaterials bom = t.bill_of_materials();
  // 16,384 NIC ports / 32 down = 512 leaves. Pods of 64 / 2 = 32 leaves -> 16 pods, each with
  // 32 spines (one cable from each leaf: 32 leaves x 1 = 32 down ports). Spine j of every pod is
  // in plane j: 16 spines x 32 uplinks = 512 cables per plane -> 8 cores (4 cables from each
  // spine); 32 planes x 8 = 256 cores.
  EXPECT_EQ(bom.gpus, 16384);
  EXPECT_EQ(bom.leaf_switches, 512);
  EXPECT_EQ(bom.spine_switches, 512);
  EXPECT_EQ(bom.core_switches, 256);
  EXPECT_EQ(bom.nic_leaf_cables, 16384);
  EXPECT_EQ(bom.leaf_spine_cables, 16384);
  EXPECT_EQ(bom.spine_core_cables, 16384);
  EXPECT_EQ(bom.transceivers, 2 * 32768);
  EXPECT_EQ(links_of(t, "spine0"), 64);
  EXPECT_EQ(links_of(t, "core0"), 64);
  // First 1024 servers = pods 0-7: 8 x 32 spines x 32 uplinks = 8192 x 50 GB/s = 409.6 TB/s.
  EXPECT_DOUBLE_EQ(t.bisection_bandwidth_Bps(), 409.6e12);
  // Same leaf 1; server 4 on leaf1 of pod 0: 3; server 128 on leaf32 = pod 1: 5.
  EXPECT_EQ(t.hops(0, 8), 1);
  EXPECT_EQ(t.hops(0, 4 * 8), 3);
  EXPECT_EQ(t.hops(0, 128 * 8), 5);
  EXPECT_EQ(t.max_hops(), 5);
  const CollectivePath cross_pod = t.collective_path({0, 128 * 8});
  EXPECT_EQ(cross_pod.tier, 3);
  // Full bisection everywhere: NIC 50 GB/s = leaf 32 x 50 / 32 = pod 1024 x 50 / 1024.
  EXPECT_DOUBLE_EQ(cross_pod.bandwidth_per_gpu_Bps, 50e9);
  EXPECT_NEAR(cross_pod.latency_s, 2 * kNicLatency_s + 5 * kSwitchLatency_s + 6 * kCableLatency_s,
              1e-15);
  EXPECT_EQ(t.collective_path({0, 4 * 8}).tier, 2);
  EXPECT_TRUE(t.check().empty());
}

TEST(Topology, Clos3TwoPodsAtTwoToOne) {
  // 336 servers x 8 = 2688 NIC ports = 64 leaves of 42 down / 21 up, 2 pods of 32 leaves.
  // Pod spines: 32 leaves x 21 uplinks over 32 down ports -> 21 spines (one cable per leaf).
  // Planes: 2 spines x 32 uplinks = 64 cables -> 1 core of 64 ports; 21 planes -> 21 cores.
  const Topology t = build_topology(dgx_h100(FabricTemplate::Clos3, 336, 2.0));
  const BillOfMaterials bom = t.bill_of_materials();
  EXPECT_EQ(bom.leaf_switches, 64);
  EXPECT_EQ(bom.spine_switches, 42);
  EXPECT_EQ(bom.core_switches, 21);
  EXPECT_EQ(bom.leaf_spine_cables, 64 * 21);
  EXPECT_EQ(bom.spine_core_cables, 42 * 32);
  // Halves = pods; pod 0 has 32 x 21 = 672 leaf uplinks and 21 x 32 = 672 core uplinks:
  // 672 x 50 GB/s = 33.6 TB/s.
  EXPECT_DOUBLE_EQ(t.bisection_bandwidth_Bps(), 33.6e12);
  // Across pods: leaf 21 x 50 / 42 GPUs = 25 GB/s; pod 672 x 50 / 1344 GPUs = 25 GB/s.
  const CollectivePath dp = t.collective_path({0, 168 * 8});
  EXPECT_EQ(dp.tier, 3);
  EXPECT_DOUBLE_EQ(dp.bandwidth_per_gpu_Bps, 25e9);
}

TEST(Topology, PodShareComesFromTheGraph) {
  // 8-port switches, 32 one-GPU servers: leaves 4 down / 4 up -> 8 leaves; pods of 8 / 2 = 4
  // leaves -> 2 pods of 4 spines; plane j = spine j of both pods: 2 x 4 = 8 uplinks -> 1 core.
  FabricSpec spec = dgx_h100(FabricTemplate::Clos3, 32);
  spec.gpus_per_server = 1;
  spec.nics_per_server = 1;
  spec.nvlink_domain_gpus = 0;
  spec.nvlink_bandwidth_Bps = 0;
  spec.leaf.ports = spec.spine.ports = spec.core.ports = 8;
  const Topology built = build_topology(spec);
  EXPECT_EQ(built.bill_of_materials().spine_switches, 8);
  EXPECT_EQ(built.bill_of_materials().core_switches, 4);
  // GPUs 0 and 16 are in different pods; full bisection: 50 GB/s each, 16 x 50 GB/s across.
  EXPECT_DOUBLE_EQ(built.collective_path({0, 16}).bandwidth_per_gpu_Bps, 50e9);
  EXPECT_DOUBLE_EQ(built.bisection_bandwidth_Bps(), 800e9);

  // Remove the core links of pod 0's spines 0 and 1 (spine0, spine1): pod 0 keeps 2 x 4 = 8
  // uplinks for its 16 GPUs -> 25 GB/s per GPU across pods, 8 x 50 GB/s = 400 GB/s bisection.
  TopologyGraph graph = built.graph();
  for (auto [v, end] = boost::vertices(graph); v != end; ++v)
    if (graph[*v].name == "spine0" || graph[*v].name == "spine1")
      boost::remove_out_edge_if(
          *v, [&](const auto& e) { return graph[e].kind == LinkKind::SpineCore; }, graph);
  const Topology thinned(graph);
  EXPECT_DOUBLE_EQ(thinned.collective_path({0, 16}).bandwidth_per_gpu_Bps, 25e9);
  EXPECT_DOUBLE_EQ(thinned.collective_path({0, 4}).bandwidth_per_gpu_Bps, 50e9);  // tier 2
  EXPECT_DOUBLE_EQ(thinned.bisection_bandwidth_Bps(), 400e9);
}

TEST(Topology, PcieServersShareNics) {
  // 4 servers x 8 GPUs without NVLink, 4 NICs each: GPU g uses NIC g % 4, so GPUs 0 and 4 share.
  FabricSpec spec = dgx_h100(FabricTemplate::SingleSwitch, 4);
  spec.nvlink_domain_gpus = 0;
  spec.nvlink_bandwidth_Bps = 0;
  spec.nics_per_server = 4;
  const Topology t = build_topology(spec);
  const BillOfMaterials bom = t.bill_of_materials();
  EXPECT_EQ(bom.nics, 16);
  EXPECT_EQ(bom.nvlink_domains, 0);
  EXPECT_EQ(bom.nic_leaf_cables, 16);
  EXPECT_EQ(t.hops(0, 4), 0);  // through the shared NIC only
  EXPECT_EQ(t.hops(0, 1), 1);
  // Two servers x 4 NICs x 50 GB/s = 400 GB/s.
  EXPECT_DOUBLE_EQ(t.bisection_bandwidth_Bps(), 400e9);
  // A server's GPUs talk through the switch, two GPUs per 50 GB/s NIC: 25 GB/s each.
  const CollectivePath server = t.collective_path({0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(server.tier, 1);
  EXPECT_DOUBLE_EQ(server.bandwidth_per_gpu_Bps, 25e9);
}

TEST(Topology, Nvl72DomainsSpanServers) {
  // GB200 NVL72-like: 18 trays of 4 GPUs share one NVLink domain; 36 trays = 2 domains; one
  // 800G NIC per GPU on a 144-port 800G switch.
  FabricSpec spec = dgx_h100(FabricTemplate::SingleSwitch, 36);
  spec.gpus_per_server = 4;
  spec.nics_per_server = 4;
  spec.nvlink_domain_gpus = 72;
  spec.nvlink_bandwidth_Bps = 900e9;
  spec.nic_bandwidth_Bps = 100e9;
  spec.leaf = SwitchModel{144, 100e9, kSwitchLatency_s};
  const Topology t = build_topology(spec);
  EXPECT_EQ(t.bill_of_materials().nvlink_domains, 2);
  EXPECT_EQ(t.bill_of_materials().servers, 36);
  std::vector<int> rack(72);
  for (int r = 0; r < 72; ++r) rack[r] = r;
  const CollectivePath tp = t.collective_path(rack);
  EXPECT_EQ(tp.tier, 0);
  EXPECT_DOUBLE_EQ(tp.bandwidth_per_gpu_Bps, 900e9);
  EXPECT_EQ(t.hops(0, 71), 1);
  // The halves are the two racks (not servers 0-17 vs 18-35 by accident: same thing here, but
  // the cut must not split a domain): 72 NICs x 100 GB/s = 7.2 TB/s.
  EXPECT_DOUBLE_EQ(t.bisection_bandwidth_Bps(), 7.2e12);
  EXPECT_EQ(t.collective_path({0, 72}).tier, 1);
}

TEST(Topology, StorageAttachesToSpinesOrOwnLeaves) {
  FabricSpec spec = dgx_h100(FabricTemplate::LeafSpine, 128);
  spec.storage_nodes = 4;
  spec.storage_links_per_node = 2;
  spec.storage_link_Bps = 50e9;
  // Leaf/spine: 8 storage links on the spines. 16 spines would need 32 x 2 + 1 = 65 ports, so
  // 32 spines (32 leaves + 1 storage link each at most).
  BillOfMaterials bom = build_topology(spec).bill_of_materials();
  EXPECT_EQ(bom.spine_switches, 32);
  EXPECT_EQ(bom.storage_cables, 8);
  EXPECT_EQ(bom.fiber_cables, 1024 + 8);
  EXPECT_EQ(bom.transceivers, 2 * (1024 + 8));
  EXPECT_EQ(bom.storage_leaf_switches, 0);
  // Rail-optimized: one storage leaf (8 links <= 32 down), 33 leaves -> 32 spines.
  spec.kind = FabricTemplate::RailOptimized;
  const Topology rail = build_topology(spec);
  bom = rail.bill_of_materials();
  EXPECT_EQ(bom.leaf_switches, 33);
  EXPECT_EQ(bom.storage_leaf_switches, 1);
  EXPECT_EQ(bom.spine_switches, 32);
  EXPECT_EQ(bom.fiber_cables, 33 * 32 + 8);
  EXPECT_TRUE(rail.check().empty());
  // Storage does not add GPU-to-GPU bisection.
  EXPECT_DOUBLE_EQ(rail.bisection_bandwidth_Bps(), 25.6e12);
}

TEST(Topology, RadixLimitsThrow) {
  // One switch of 64 ports: 64 single-NIC servers fit, 65 do not.
  FabricSpec spec = dgx_h100(FabricTemplate::SingleSwitch, 64);
  spec.gpus_per_server = 1;
  spec.nics_per_server = 1;
  spec.nvlink_domain_gpus = 0;
  spec.nvlink_bandwidth_Bps = 0;
  EXPECT_NO_THROW(build_topology(spec));
  spec.servers = 65;
  EXPECT_THROW(build_topology(spec), ConfigurationError);
  EXPECT_NE(message_of(spec).find("leaf-spine"), std::string::npos) << message_of(spec);

  // Two tiers of 64 ports at 1:1: 64 leaves x 32 = 2048 NIC ports = 256 servers of 8 NICs
  // (SuperPOD 8 SU: 64 leaves, 32 spines); 257 servers need 65 leaves.
  const BillOfMaterials full =
      build_topology(dgx_h100(FabricTemplate::LeafSpine, 256)).bill_of_materials();
  EXPECT_EQ(full.leaf_switches, 64);
  EXPECT_EQ(full.spine_switches, 32);
  const std::string two_tier = message_of(dgx_h100(FabricTemplate::LeafSpine, 257));
  EXPECT_NE(two_tier.find("clos3"), std::string::npos) << two_tier;
  EXPECT_NE(two_tier.find("2048"), std::string::npos) << two_tier;
  EXPECT_NO_THROW(build_topology(dgx_h100(FabricTemplate::RailOptimized, 256)));
  EXPECT_NE(message_of(dgx_h100(FabricTemplate::RailOptimized, 257)).find("clos3"),
            std::string::npos);

  // Three tiers: 64 pods x 32 leaves x 32 = 65,536 NIC ports = 8192 servers; one more fails.
  const std::string three_tier = message_of(dgx_h100(FabricTemplate::Clos3, 8193));
  EXPECT_NE(three_tier.find("65536"), std::string::npos) << three_tier;
}

TEST(Topology, InvalidSpecsThrow) {
  FabricSpec no_nic = dgx_h100(FabricTemplate::SingleSwitch, 2);
  no_nic.nics_per_server = 0;
  EXPECT_THROW(build_topology(no_nic), ConfigurationError);
  // 4 servers x 8 GPUs do not fill a 72-GPU NVLink domain.
  FabricSpec partial_domain = dgx_h100(FabricTemplate::SingleSwitch, 4);
  partial_domain.nvlink_domain_gpus = 72;
  EXPECT_THROW(build_topology(partial_domain), ConfigurationError);
  FabricSpec no_ratio = dgx_h100(FabricTemplate::LeafSpine, 4, 0.0);
  EXPECT_THROW(build_topology(no_ratio), ConfigurationError);
  EXPECT_THROW(build_topology(dgx_h100(FabricTemplate::SingleSwitch, 2)).hops(0, 16),
               ConfigurationError);
}

TEST(Topology, CheckFindsBrokenGraphs) {
  // 8 servers x 8 NICs fill the 64-port switch exactly.
  const Topology built = build_topology(dgx_h100(FabricTemplate::SingleSwitch, 8));
  ASSERT_TRUE(built.check().empty());

  // Cut server1.nic3 from the switch: GPU 11 (server1.gpu3) loses its network route.
  TopologyGraph cut = built.graph();
  for (auto [v, end] = boost::vertices(cut); v != end; ++v)
    if (cut[*v].name == "server1.nic3") boost::clear_vertex(*v, cut);  // drops its GPU link too
  const Topology broken(cut);
  const auto problems = broken.check();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("server1.gpu3"), std::string::npos) << problems[0];
  EXPECT_THROW(broken.hops(0, 11), ConfigurationError);
  EXPECT_THROW(broken.max_hops(), ConfigurationError);
  EXPECT_EQ(broken.hops(8, 11), 1);  // still reachable through NVLink inside server 1

  // One storage node too many on the full switch, and one with no link at all.
  TopologyGraph crowded = built.graph();
  Node storage;
  storage.kind = VertexKind::Storage;
  storage.name = "storage0";
  const auto s0 = boost::add_vertex(storage, crowded);
  storage.name = "storage1";
  storage.index = 1;
  boost::add_vertex(storage, crowded);
  TopologyVertex sw = 0;
  for (auto [v, end] = boost::vertices(crowded); v != end; ++v)
    if (crowded[*v].name == "switch0") sw = *v;
  boost::add_edge(s0, sw, Link{LinkKind::Storage, 50e9, 0.0}, crowded);
  const auto crowded_problems = Topology(crowded).check();
  ASSERT_EQ(crowded_problems.size(), 2u);
  EXPECT_NE(crowded_problems[0].find("switch0 has 65 links but only 64 ports"), std::string::npos)
      << crowded_problems[0];
  EXPECT_NE(crowded_problems[1].find("storage1"), std::string::npos) << crowded_problems[1];
  EXPECT_EQ(crowded_problems[1].find("storage0"), std::string::npos) << crowded_problems[1];

  // GPU indices must be 0..N-1 exactly once.
  TopologyGraph duplicate = built.graph();
  duplicate[built.gpu_vertex(5)].index = 4;
  EXPECT_THROW(Topology{duplicate}, ConfigurationError);
}

}  // namespace
}  // namespace capsim
