// build_topology(): wires servers, storage and switches into a TopologyGraph by template.
//
// Sizing rules shared by the multi-tier templates:
// - A leaf splits its ports into `down = floor(P r / (r + 1))` and `up = ceil(down / r)`, so the
//   uplink capacity never falls below down / r and down + up <= P (64 ports at 2:1: 42 + 21, one
//   port spare).
// - Upper switches (spines, cores) are as few as can take every uplink with each lower switch
//   spreading its uplinks evenly (the same number of parallel cables to each). This reproduces
//   NVIDIA's DGX SuperPOD reference counts, e.g. 32 leaves and 16 spines of 64 ports for 128
//   servers, and 512 leaves, 512 spines and 256 cores for 2,048 servers.
// - Every lower switch reaches every upper switch of its block, so an upper switch of P ports
//   joins at most P lower ones: that is the two-tier limit (P x down NIC ports) and the three-tier
//   one (P pods).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <sstream>

#include "capsim/models/Errors.hpp"
#include "capsim/models/Topology.hpp"

namespace capsim {

std::string to_string(FabricTemplate kind) {
  switch (kind) {
    case FabricTemplate::SingleSwitch:
      return "single-switch";
    case FabricTemplate::LeafSpine:
      return "leaf-spine";
    case FabricTemplate::Clos3:
      return "clos3";
    case FabricTemplate::RailOptimized:
      return "rail-optimized";
  }
  return "unknown";
}

namespace {

// Beyond this the int counts used throughout could overflow; no real cluster comes close.
constexpr std::int64_t kMaxGpus = 10'000'000;

[[noreturn]] void fail(const std::string& message) {
  throw ConfigurationError("fabric: " + message);
}

std::string text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

int ceil_div(std::int64_t a, std::int64_t b) { return static_cast<int>((a + b - 1) / b); }

void validate_switch(const SwitchModel& model, const char* tier) {
  if (model.ports < 2)
    fail(std::string(tier) + " switch has " + std::to_string(model.ports) +
         " ports; expected at least 2");
  if (!(model.port_bandwidth_Bps > 0))
    fail(std::string(tier) + " switch port bandwidth is " + text(model.port_bandwidth_Bps) +
         " B/s; expected a positive value");
  if (!(model.latency_s >= 0))
    fail(std::string(tier) + " switch latency is " + text(model.latency_s) +
         " s; expected 0 or more");
}

void validate_nvlink(const FabricSpec& s) {
  const bool has_domain = s.nvlink_domain_gpus > 1;
  if (s.nvlink_domain_gpus < 0)
    fail("nvlink_domain_gpus is " + std::to_string(s.nvlink_domain_gpus) +
         "; expected 0 (no NVLink) or the GPUs per NVLink domain");
  if (!(s.nvlink_bandwidth_Bps >= 0) || !(s.nvlink_latency_s >= 0))
    fail("NVLink bandwidth and latency must be 0 or more");
  if (has_domain && s.nvlink_bandwidth_Bps == 0)
    fail("nvlink_domain_gpus is " + std::to_string(s.nvlink_domain_gpus) +
         " but nvlink_bandwidth_Bps is 0; give the NVLink bandwidth or set the domain to 0");
  if (!has_domain && s.nvlink_bandwidth_Bps > 0)
    fail("nvlink_bandwidth_Bps is set but nvlink_domain_gpus is " +
         std::to_string(s.nvlink_domain_gpus) +
         "; expected the GPUs per NVLink domain (2 or more)");
  if (!has_domain) return;
  const int domain = s.nvlink_domain_gpus;
  if (domain % s.gpus_per_server != 0 && s.gpus_per_server % domain != 0)
    fail("an NVLink domain of " + std::to_string(domain) + " GPUs does not align with servers of " +
         std::to_string(s.gpus_per_server) + " GPUs; expected a multiple or a divisor of it");
  const std::int64_t gpus = std::int64_t{s.servers} * s.gpus_per_server;
  if (gpus % domain != 0)
    fail(std::to_string(gpus) + " GPUs do not fill whole NVLink domains of " +
         std::to_string(domain) + "; expected a server count that does");
}

void validate(const FabricSpec& s) {
  if (s.servers < 1) fail("servers is " + std::to_string(s.servers) + "; expected 1 or more");
  if (s.gpus_per_server < 1)
    fail("gpus_per_server is " + std::to_string(s.gpus_per_server) + "; expected 1 or more");
  if (std::int64_t{s.servers} * s.gpus_per_server > kMaxGpus)
    fail("more than " + std::to_string(kMaxGpus) + " GPUs; expected a smaller cluster");
  if (s.nics_per_server < 1 || s.nics_per_server > s.gpus_per_server)
    fail("nics_per_server is " + std::to_string(s.nics_per_server) + "; expected 1 to " +
         std::to_string(s.gpus_per_server) + " (the GPUs per server)");
  if (!(s.nic_bandwidth_Bps > 0))
    fail("NIC bandwidth is " + text(s.nic_bandwidth_Bps) + " B/s; expected a positive value");
  if (!(s.nic_latency_s >= 0) || !(s.cable_latency_s >= 0))
    fail("NIC and cable latencies must be 0 or more");
  validate_nvlink(s);
  if (!(s.oversubscription > 0) || !std::isfinite(s.oversubscription))
    fail("oversubscription is " + text(s.oversubscription) +
         "; expected a positive ratio such as 1 (full bisection) or 2 (2:1)");
  validate_switch(s.leaf, s.kind == FabricTemplate::SingleSwitch ? "the" : "leaf");
  if (s.kind != FabricTemplate::SingleSwitch) validate_switch(s.spine, "spine");
  if (s.kind == FabricTemplate::Clos3) validate_switch(s.core, "core");
  if (s.storage_nodes < 0)
    fail("storage_nodes is " + std::to_string(s.storage_nodes) + "; expected 0 or more");
  if (s.storage_nodes > 0 && (s.storage_links_per_node < 1 || !(s.storage_link_Bps > 0)))
    fail("storage nodes need storage_links_per_node >= 1 and a positive storage_link_Bps");
}

struct LeafPorts {
  int down = 0;
  int up = 0;
};

LeafPorts split_leaf_ports(int ports, double ratio) {
  // The epsilon keeps exact ratios (64 x 3/4 = 48) from rounding down through float error.
  constexpr double kEps = 1e-9;
  LeafPorts split;
  split.down = static_cast<int>(std::floor(ports * ratio / (ratio + 1) + kEps));
  split.up = static_cast<int>(std::ceil(split.down / ratio - kEps));
  if (split.down < 1 || split.up < 1)
    fail("a " + std::to_string(ports) + "-port leaf cannot be split " + text(ratio) +
         ":1 into downlinks and uplinks; expected a ratio leaving at least one port each way");
  return split;
}

// The fewest upper switches of `upper_ports` ports that take `uplinks` from each of `lower`
// switches, spread evenly (uplinks / count parallel cables per pair), plus `reserved` other links
// spread round robin. 0 when even one cable per pair does not fit.
int upper_switch_count(int lower, int uplinks, int upper_ports, int reserved) {
  for (int count = 1; count <= uplinks; ++count) {
    if (uplinks % count != 0) continue;
    const std::int64_t load = std::int64_t{lower} * (uplinks / count) + ceil_div(reserved, count);
    if (load <= upper_ports) return count;
  }
  return 0;
}

class FabricBuilder {
 public:
  explicit FabricBuilder(const FabricSpec& spec)
      : spec_(spec),
        nic_ports_(spec.servers * spec.nics_per_server),
        storage_link_count_(spec.storage_nodes * spec.storage_links_per_node) {}

  // The graph is built in place on the heap and handed over as it is: Boost 1.74's
  // adjacency_list has no move constructor, so returning or wrapping it by value would copy
  // it (about 100 ms at 16,384 GPUs).
  std::shared_ptr<const TopologyGraph> build() {
    add_servers();
    add_storage_nodes();
    switch (spec_.kind) {
      case FabricTemplate::SingleSwitch:
        build_single_switch();
        break;
      case FabricTemplate::LeafSpine:
        build_leaf_spine();
        break;
      case FabricTemplate::RailOptimized:
        build_rail_optimized();
        break;
      case FabricTemplate::Clos3:
        build_clos3();
        break;
    }
    return owned_;
  }

 private:
  TopologyVertex add_node(VertexKind kind, int index, std::string name) {
    Node node;
    node.kind = kind;
    node.index = index;
    node.name = std::move(name);
    return boost::add_vertex(std::move(node), graph_);
  }

  TopologyVertex add_switch(int tier, const SwitchModel& model, const char* label) {
    static constexpr const char* kTierNames[] = {"", "leaf", "spine", "core"};
    const int index = switches_in_tier_[tier]++;
    const auto v = add_node(VertexKind::Switch, index,
                            std::string(label ? label : kTierNames[tier]) + std::to_string(index));
    graph_[v].tier = tier;
    graph_[v].ports = model.ports;
    graph_[v].latency_s = model.latency_s;
    return v;
  }

  void connect(TopologyVertex a, TopologyVertex b, LinkKind kind, double bandwidth_Bps,
               double latency_s) {
    boost::add_edge(a, b, Link{kind, bandwidth_Bps, latency_s}, graph_);
  }

  // GPUs r = s * gpus_per_server + g, each joined to its domain's NvSwitch first (so routing
  // prefers NVLink on ties) and then to NIC g % nics_per_server of its server: GPUs share NICs
  // round robin when a server has fewer NICs than GPUs.
  void add_servers() {
    const int domain_gpus = spec_.nvlink_domain_gpus > 1 ? spec_.nvlink_domain_gpus : 0;
    std::vector<TopologyVertex> nvswitches;
    for (int s = 0; s < spec_.servers; ++s) {
      const std::string server = "server" + std::to_string(s);
      const auto first_nic = nics_.size();
      for (int i = 0; i < spec_.nics_per_server; ++i) {
        const auto nic = add_node(VertexKind::Nic, static_cast<int>(nics_.size()),
                                  server + ".nic" + std::to_string(i));
        graph_[nic].server = s;
        graph_[nic].latency_s = spec_.nic_latency_s;
        nics_.push_back(nic);
      }
      for (int g = 0; g < spec_.gpus_per_server; ++g) {
        const int rank = s * spec_.gpus_per_server + g;
        const auto gpu = add_node(VertexKind::Gpu, rank, server + ".gpu" + std::to_string(g));
        graph_[gpu].server = s;
        if (domain_gpus > 0) {
          const auto domain = static_cast<std::size_t>(rank / domain_gpus);
          if (domain == nvswitches.size()) {
            nvswitches.push_back(add_node(VertexKind::NvSwitch, static_cast<int>(domain),
                                          "nvswitch" + std::to_string(domain)));
            graph_[nvswitches.back()].latency_s = spec_.nvlink_latency_s;
          }
          connect(gpu, nvswitches[domain], LinkKind::NvLink, spec_.nvlink_bandwidth_Bps, 0.0);
        }
        connect(gpu, nics_[first_nic + g % spec_.nics_per_server], LinkKind::GpuNic,
                spec_.nic_bandwidth_Bps, 0.0);
      }
    }
  }

  void add_storage_nodes() {
    for (int k = 0; k < spec_.storage_nodes; ++k) {
      const auto node = add_node(VertexKind::Storage, k, "storage" + std::to_string(k));
      for (int j = 0; j < spec_.storage_links_per_node; ++j) storage_links_.push_back(node);
    }
  }

  // A link runs at the slower of its two ports.
  void connect_nic(int nic_port, TopologyVertex leaf) {
    connect(nics_[nic_port], leaf, LinkKind::NicLeaf,
            std::min(spec_.nic_bandwidth_Bps, spec_.leaf.port_bandwidth_Bps),
            spec_.cable_latency_s);
  }

  // Storage link q goes to switches[q % size]: a node's links land on different switches.
  void attach_storage_round_robin(const std::vector<TopologyVertex>& switches,
                                  const SwitchModel& model) {
    for (std::size_t q = 0; q < storage_links_.size(); ++q)
      connect(storage_links_[q], switches[q % switches.size()], LinkKind::Storage,
              std::min(spec_.storage_link_Bps, model.port_bandwidth_Bps), spec_.cable_latency_s);
  }

  std::vector<TopologyVertex> add_leaves(int count) {
    std::vector<TopologyVertex> leaves;
    for (int i = 0; i < count; ++i) leaves.push_back(add_switch(1, spec_.leaf, nullptr));
    return leaves;
  }

  // Storage-only leaves (rail-optimized and clos3): link q on leaf q / down, filling ports.
  std::vector<TopologyVertex> add_storage_leaves(int down) {
    std::vector<TopologyVertex> leaves = add_leaves(ceil_div(storage_link_count_, down));
    for (std::size_t q = 0; q < storage_links_.size(); ++q)
      connect(storage_links_[q], leaves[q / down], LinkKind::Storage,
              std::min(spec_.storage_link_Bps, spec_.leaf.port_bandwidth_Bps),
              spec_.cable_latency_s);
    return leaves;
  }

  // Adds `count` switches of `tier` and cables every lower switch to each of them
  // uplinks / count times.
  std::vector<TopologyVertex> join(const std::vector<TopologyVertex>& lower, int uplinks,
                                   double lower_port_Bps, int count, int tier,
                                   const SwitchModel& model, LinkKind kind) {
    std::vector<TopologyVertex> upper;
    for (int i = 0; i < count; ++i) upper.push_back(add_switch(tier, model, nullptr));
    const double bandwidth_Bps = std::min(lower_port_Bps, model.port_bandwidth_Bps);
    for (const auto low : lower)
      for (const auto up : upper)
        for (int c = 0; c < uplinks / count; ++c)
          connect(low, up, kind, bandwidth_Bps, spec_.cable_latency_s);
    return upper;
  }

  std::string servers_text() const {
    return std::to_string(spec_.servers) + " servers x " + std::to_string(spec_.nics_per_server) +
           " NICs need " + std::to_string(nic_ports_) + " leaf ports";
  }

  void build_single_switch() {
    const int needed = nic_ports_ + storage_link_count_;
    if (needed > spec_.leaf.ports)
      fail("single-switch: " + servers_text() +
           (storage_link_count_ > 0
                ? " plus " + std::to_string(storage_link_count_) + " storage ports"
                : std::string()) +
           " but the switch has " + std::to_string(spec_.leaf.ports) +
           " ports; expected template leaf-spine or a switch with at least " +
           std::to_string(needed) + " ports");
    const auto sw = add_switch(1, spec_.leaf, "switch");
    for (int p = 0; p < nic_ports_; ++p) connect_nic(p, sw);
    attach_storage_round_robin({sw}, spec_.leaf);
  }

  // NICs in server order fill leaf ports in order, so a server may straddle two leaves when the
  // leaf's downlinks are not a multiple of its NICs.
  void build_leaf_spine() {
    const LeafPorts split = split_leaf_ports(spec_.leaf.ports, spec_.oversubscription);
    const int leaf_count = ceil_div(nic_ports_, split.down);
    const int spine_count =
        upper_switch_count(leaf_count, split.up, spec_.spine.ports, storage_link_count_);
    if (spine_count == 0) {
      const int max_leaves = spec_.spine.ports - ceil_div(storage_link_count_, split.up);
      fail("leaf-spine: " + servers_text() + " (" + std::to_string(leaf_count) + " leaves of " +
           std::to_string(split.down) + " down ports at " + text(spec_.oversubscription) +
           ":1) but a two-tier leaf/spine of " + std::to_string(spec_.spine.ports) +
           "-port spines joins at most " + std::to_string(std::max(max_leaves, 0)) +
           " leaves = " + std::to_string(std::max(max_leaves, 0) * split.down) + " NIC ports" +
           (storage_link_count_ > 0
                ? " (with " + std::to_string(storage_link_count_) + " storage links on the spines)"
                : std::string()) +
           "; expected template clos3 or larger switches");
    }
    const auto leaves = add_leaves(leaf_count);
    for (int p = 0; p < nic_ports_; ++p) connect_nic(p, leaves[p / split.down]);
    const auto spines = join(leaves, split.up, spec_.leaf.port_bandwidth_Bps, spine_count, 2,
                             spec_.spine, LinkKind::LeafSpine);
    attach_storage_round_robin(spines, spec_.spine);
  }

  // Rail i holds NIC i of every server: server s on rail leaf s / down.
  void build_rail_optimized() {
    const LeafPorts split = split_leaf_ports(spec_.leaf.ports, spec_.oversubscription);
    const int rails = spec_.nics_per_server;
    const int leaves_per_rail = ceil_div(spec_.servers, split.down);
    const int storage_leaves = ceil_div(storage_link_count_, split.down);
    const int leaf_count = rails * leaves_per_rail + storage_leaves;
    const int spine_count = upper_switch_count(leaf_count, split.up, spec_.spine.ports, 0);
    if (spine_count == 0) {
      const int max_servers =
          std::max(0, (spec_.spine.ports - storage_leaves) / rails) * split.down;
      fail("rail-optimized: " + std::to_string(rails) + " rails x " +
           std::to_string(leaves_per_rail) + " leaves" +
           (storage_leaves > 0 ? " + " + std::to_string(storage_leaves) + " storage leaves"
                               : std::string()) +
           " = " + std::to_string(leaf_count) + " leaves of " + std::to_string(split.down) +
           " down ports at " + text(spec_.oversubscription) + ":1, but " +
           std::to_string(spec_.spine.ports) + "-port spines join at most " +
           std::to_string(spec_.spine.ports) + " leaves (at most " + std::to_string(max_servers) +
           " servers); expected template clos3 or larger switches");
    }
    auto leaves = add_leaves(rails * leaves_per_rail);
    for (int s = 0; s < spec_.servers; ++s)
      for (int i = 0; i < rails; ++i)
        connect_nic(s * rails + i, leaves[i * leaves_per_rail + s / split.down]);
    const auto storage = add_storage_leaves(split.down);
    leaves.insert(leaves.end(), storage.begin(), storage.end());
    join(leaves, split.up, spec_.leaf.port_bandwidth_Bps, spine_count, 2, spec_.spine,
         LinkKind::LeafSpine);
  }

  // Pods of up to spine.ports / 2 leaves (compute leaves, then storage leaves) each with its own
  // spines; spine j of every pod belongs to core plane j, whose cores join those spines.
  void build_clos3() {
    const LeafPorts split = split_leaf_ports(spec_.leaf.ports, spec_.oversubscription);
    const int pod_spine_down = spec_.spine.ports / 2;
    const int pod_spine_up = spec_.spine.ports / 2;
    const int compute_leaves = ceil_div(nic_ports_, split.down);
    const int leaf_count = compute_leaves + ceil_div(storage_link_count_, split.down);
    const int leaves_per_pod = pod_spine_down;
    const int pods = ceil_div(leaf_count, leaves_per_pod);
    const int spines_per_pod =
        upper_switch_count(std::min(leaf_count, leaves_per_pod), split.up, pod_spine_down, 0);
    const int cores_per_plane = upper_switch_count(pods, pod_spine_up, spec_.core.ports, 0);
    if (cores_per_plane == 0)
      fail("clos3: " + servers_text() + " (" + std::to_string(leaf_count) + " leaves of " +
           std::to_string(split.down) + " down ports at " + text(spec_.oversubscription) +
           ":1) in " + std::to_string(pods) + " pods of " + std::to_string(leaves_per_pod) +
           " leaves, but " + std::to_string(spec_.core.ports) +
           "-port core switches join at most " + std::to_string(spec_.core.ports) + " pods = " +
           std::to_string(std::int64_t{spec_.core.ports} * leaves_per_pod * split.down) +
           " NIC ports; expected larger switches or a higher oversubscription");
    auto leaves = add_leaves(compute_leaves);
    for (int p = 0; p < nic_ports_; ++p) connect_nic(p, leaves[p / split.down]);
    const auto storage = add_storage_leaves(split.down);
    leaves.insert(leaves.end(), storage.begin(), storage.end());

    std::vector<std::vector<TopologyVertex>> planes(spines_per_pod);
    for (int pod = 0; pod < pods; ++pod) {
      const auto first = leaves.begin() + std::int64_t{pod} * leaves_per_pod;
      const auto last = leaves.begin() + std::min<std::int64_t>(
                                             leaves.size(), std::int64_t{pod + 1} * leaves_per_pod);
      const auto spines =
          join(std::vector<TopologyVertex>(first, last), split.up, spec_.leaf.port_bandwidth_Bps,
               spines_per_pod, 2, spec_.spine, LinkKind::LeafSpine);
      for (int j = 0; j < spines_per_pod; ++j) planes[j].push_back(spines[j]);
    }
    for (const auto& plane : planes)
      join(plane, pod_spine_up, spec_.spine.port_bandwidth_Bps, cores_per_plane, 3, spec_.core,
           LinkKind::SpineCore);
  }

  const FabricSpec& spec_;
  const int nic_ports_;
  const int storage_link_count_;
  std::shared_ptr<TopologyGraph> owned_ = std::make_shared<TopologyGraph>();
  TopologyGraph& graph_ = *owned_;
  std::vector<TopologyVertex> nics_;           ///< server-major: server s NIC i at s * n + i
  std::vector<TopologyVertex> storage_links_;  ///< one entry per storage link, node-major
  int switches_in_tier_[4] = {0, 0, 0, 0};
};

}  // namespace

Topology build_topology(const FabricSpec& spec) {
  validate(spec);
  Topology topology(FabricBuilder(spec).build());
  topology.set_routing(spec.routing);
  return topology;
}

}  // namespace capsim
