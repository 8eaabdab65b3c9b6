// The physical network of a cluster as a graph: GPUs, NVLink domains, NICs, switches and storage
// nodes as vertices, one edge per cable (or NVLink/PCIe attachment), built from a FabricSpec by
// one of four templates (single switch, two-tier leaf/spine, rail-optimized, three-tier Clos).
//
// Everything else is derived from the graph, not from the spec, so a graph built by hand (or a
// built one with cables removed) is analysed the same way: the bill of materials (switches,
// cables, transceivers), the bisection bandwidth (max flow), switch hops, sanity checks (radix,
// reachability) and the path a parallel group's collective takes (highest tier, per-GPU
// bandwidth share, latency). The simulator maps the same graph onto SimGrid.
//
// Routing rule used by hops(), check() and collective_path(): NICs, NVSwitches and switches
// forward traffic; GPUs and storage nodes are endpoints only (NCCL's PXN relay through another
// GPU is not modelled). Between two routes of equal length the one through NVLink is taken.
#pragma once

#include <boost/graph/adjacency_list.hpp>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace capsim {

/// How the leaves of a fabric are joined.
enum class FabricTemplate {
  SingleSwitch,   ///< every NIC on one switch
  LeafSpine,      ///< two tiers; NICs of consecutive servers fill consecutive leaf ports
  Clos3,          ///< pods of leaves and spines joined by core switches (three tiers)
  RailOptimized,  ///< NIC i of every server on the rail-i leaves, leaves joined by spines
};

/// Scenario spelling of a template ("single-switch", "leaf-spine", "clos3", "rail-optimized").
std::string to_string(FabricTemplate kind);

/// How switches pick among equally short next hops. Static: by destination (D-mod-k, as
/// InfiniBand's fat-tree routing tables and ECMP hashing do), so flows to different destinations
/// can meet on one uplink. Adaptive: by load (InfiniBand adaptive routing, which NCCL enables by
/// default on InfiniBand: "Enable ADAPTIVE_ROUTING by default on IB networks", net_ib.cc), so
/// concurrent flows spread over the uplinks (FabricRoutes.hpp).
enum class Routing { Static, Adaptive };

/// Scenario spelling: "static", "adaptive".
std::string to_string(Routing routing);

/// One switch model: radix, per-port speed and forwarding delay.
struct SwitchModel {
  int ports = 0;                    ///< radix
  double port_bandwidth_Bps = 0.0;  ///< per port per direction, bytes/s
  double latency_s = 0.0;           ///< port-to-port forwarding delay, seconds
  bool operator==(const SwitchModel&) const = default;
};

/// What build_topology() wires. Plain numbers, SI units; the lead maps the scenario onto it.
struct FabricSpec {
  FabricTemplate kind = FabricTemplate::LeafSpine;
  int servers = 0;
  int gpus_per_server = 0;
  /// GPUs sharing one NVLink domain: 0 or 1 = none; otherwise a multiple of gpus_per_server
  /// (8 for an HGX server, 72 for a GB200 NVL72 rack of 18 four-GPU trays) or a divisor of it.
  int nvlink_domain_gpus = 0;
  double nvlink_bandwidth_Bps = 0.0;  ///< per GPU per direction into its domain; 0 = no NVLink
  double nvlink_latency_s = 0.0;      ///< GPU to GPU through the domain, seconds
  int nics_per_server = 0;            ///< 1..gpus_per_server; GPU g uses NIC g % nics_per_server
  double nic_bandwidth_Bps = 0.0;     ///< per NIC per direction, bytes/s
  double nic_latency_s = 0.0;         ///< per NIC traversed, seconds
  SwitchModel leaf;                   ///< tier 1 (also the single switch)
  SwitchModel spine;                  ///< tier 2 (pod spine in clos3); may equal leaf
  SwitchModel core;                   ///< tier 3 (clos3 only); may equal leaf
  double oversubscription = 1.0;      ///< leaf downlink:uplink ports, 1 = full bisection
  int storage_nodes = 0;              ///< 0 allowed
  double storage_link_Bps = 0.0;      ///< per storage link per direction, bytes/s
  int storage_links_per_node = 0;
  double cable_latency_s = 0.0;       ///< propagation delay of every cable, seconds
  Routing routing = Routing::Static;  ///< how the switches route (kept by the Topology)
  /// Equal specs build equal topologies (build_topology is deterministic).
  bool operator==(const FabricSpec&) const = default;
};

enum class VertexKind { Gpu, NvSwitch, Nic, Switch, Storage };

/// What an edge stands for. Only NicLeaf and the switch/storage kinds are cables.
enum class LinkKind {
  NvLink,     ///< GPU to its NVLink domain's NvSwitch vertex
  GpuNic,     ///< GPU to its NIC (PCIe inside the server, runs at the NIC's speed)
  NicLeaf,    ///< NIC to leaf: copper DAC cable
  LeafSpine,  ///< leaf to spine: optical
  SpineCore,  ///< spine to core: optical
  Storage,    ///< storage node to its switch: optical
};

/// A vertex of the topology graph.
struct Node {
  VertexKind kind = VertexKind::Gpu;
  int tier = 0;          ///< switches: 1 leaf, 2 spine, 3 core; 0 for every other kind
  int index = 0;         ///< number within its kind (and tier): GPU rank, leaf 12, storage 3
  int server = -1;       ///< server of a GPU or NIC, -1 otherwise
  int ports = 0;         ///< radix of a switch; 0 = not port limited (NvSwitch crossbar, NIC)
  double latency_s = 0;  ///< forwarding delay added when traffic passes through, seconds
  std::string name;      ///< "server3.gpu5", "server3.nic5", "nvswitch0", "leaf12", "storage2"
};

/// An edge of the topology graph: one cable or attachment, full duplex.
struct Link {
  LinkKind kind = LinkKind::NicLeaf;
  double bandwidth_Bps = 0;  ///< per direction, the slower of its two ports, bytes/s
  double latency_s = 0;      ///< propagation, seconds
};

/// Undirected multigraph: parallel cables between two switches are parallel edges.
using TopologyGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, Node, Link>;
using TopologyVertex = boost::graph_traits<TopologyGraph>::vertex_descriptor;

/// Counts the cost model multiplies by catalog prices. Cabling assumption: NIC-to-leaf links
/// are copper DAC inside the rack (no transceivers); every switch-to-switch and storage link is
/// an optical cable with a transceiver at each end.
struct BillOfMaterials {
  int servers = 0, gpus = 0, nics = 0, nvlink_domains = 0, storage_nodes = 0;
  int leaf_switches = 0;          ///< tier 1, including storage_leaf_switches
  int storage_leaf_switches = 0;  ///< leaves that carry only storage links
  int spine_switches = 0;         ///< tier 2
  int core_switches = 0;          ///< tier 3
  int nic_leaf_cables = 0;        ///< copper
  int leaf_spine_cables = 0;      ///< optical
  int spine_core_cables = 0;      ///< optical
  int storage_cables = 0;         ///< optical
  int copper_cables = 0;          ///< nic_leaf_cables
  int fiber_cables = 0;           ///< leaf_spine + spine_core + storage cables
  int transceivers = 0;           ///< 2 per fiber cable
};

/// How a parallel group's collective travels when every GPU of the cluster runs the same kind
/// of collective at once.
struct CollectivePath {
  int tier = 0;         ///< highest tier climbed: 0 NVLink domain (or one NIC), 1 one leaf,
                        ///< 2 one leaf/spine block or pod, 3 through the core
  int switch_hops = 0;  ///< switches (NVSwitch included) between the two farthest members
  /// Ring bus bandwidth per GPU per direction, bytes/s: min(network_Bps, scaleup_Bps)
  /// (infinite for 1 GPU).
  double bandwidth_per_gpu_Bps = 0;
  /// Network part, for a group spanning NVLink domains: k members of a domain x one member's
  /// share of its NIC and uplinks (the fewest over the domains); infinite within one domain.
  double network_Bps = std::numeric_limits<double>::infinity();
  /// NVLink part: the members' NVLink bandwidth where a domain holds more than one of them;
  /// infinite when every member is alone in its domain.
  double scaleup_Bps = std::numeric_limits<double>::infinity();
  double latency_s = 0;  ///< one message between the two farthest members, seconds
};

/// A cluster's network graph and the analyses on it. Copyable: copies share the graph, which
/// never changes after construction (a 16,384-GPU graph takes tens of ms to copy).
class Topology {
 public:
  /// An empty topology (no vertices): zero counts, no problems; GPU queries throw
  /// ConfigurationError.
  Topology() = default;
  /// Wraps any graph. GPU indices must be 0..N-1, each once, else ConfigurationError.
  explicit Topology(TopologyGraph graph);
  /// The same for a graph already on the heap (shared, never copied).
  explicit Topology(std::shared_ptr<const TopologyGraph> graph);

  const TopologyGraph& graph() const { return *graph_; }
  /// How its switches route; build_topology() sets FabricSpec::routing, a bare graph is static.
  Routing routing() const { return routing_; }
  void set_routing(Routing routing) { routing_ = routing; }
  int gpu_count() const { return static_cast<int>(gpus_.size()); }
  /// The vertex of GPU `rank` (0-based).
  TopologyVertex gpu_vertex(int rank) const;

  /// Switch, cable and transceiver counts read off the graph.
  BillOfMaterials bill_of_materials() const;

  /// Max flow between the first and second half of the GPUs (halves aligned with servers and
  /// NVLink domains; the first half is the smaller one when their count is odd), per
  /// direction, bytes/s. NVLink and storage are not part of the cut. 0 for a single domain.
  double bisection_bandwidth_Bps() const;

  /// Switches (NVSwitch included) on a shortest route from one GPU to another.
  int hops(int gpu_a, int gpu_b) const;
  /// Largest hops(0, g) over all GPUs g: the diameter, since every template is symmetric.
  int max_hops() const;

  /// Problems found (empty = OK): a switch with more links than ports, a GPU without a network
  /// route to the others, a storage node the GPUs cannot reach.
  std::vector<std::string> check() const;

  /// The path of a collective over `gpus` (ranks; order irrelevant, first one is the origin of
  /// the latency route). Across NVLink domains the ring's bandwidth is the network share of the
  /// members of one domain together, capped by their NVLink; each member's network share is a
  /// worst case for rings that mostly stay under one leaf (counting only their leaf-crossing
  /// steps is a refinement for later). Throws
  /// ConfigurationError for an empty group, an unknown rank or an unreachable GPU.
  CollectivePath collective_path(const std::vector<int>& gpus) const;

 private:
  /// Per-vertex result of a breadth-first search from one GPU under the routing rule above.
  struct Routes {
    std::vector<int> switch_hops;   ///< -1 = unreachable
    std::vector<int> top_tier;      ///< highest switch tier on the route
    std::vector<double> latency_s;  ///< links plus forwarding vertices in between
  };
  Routes routes_from(TopologyVertex source, TopologyVertex stop_at) const;
  void require_gpu(int rank, const char* what) const;

  std::shared_ptr<const TopologyGraph> graph_ = std::make_shared<const TopologyGraph>();
  std::vector<TopologyVertex> gpus_;  ///< by rank
  Routing routing_ = Routing::Static;
  // Derived once from the graph for bisection and collective_path().
  std::vector<TopologyVertex> nic_of_gpu_;       ///< by rank; null_vertex() if none
  std::vector<TopologyVertex> nvswitch_of_gpu_;  ///< by rank; null_vertex() if none
  std::vector<int> pod_of_switch_;               ///< tier 1-2 block (pod) id, -1 otherwise
  std::vector<double> leaf_uplink_Bps_;          ///< tier 1 vertex: sum of its tier-2 links
  std::vector<int> leaf_gpus_;                   ///< tier 1 vertex: GPUs behind its NICs
  std::vector<double> pod_uplink_Bps_;           ///< by pod: sum of tier 2 to tier 3 links
  std::vector<int> pod_gpus_;                    ///< by pod
};

/// Wires the fabric. Throws ConfigurationError for invalid numbers or a fabric the switches'
/// radix cannot build (the message names the limit and what to use instead).
Topology build_topology(const FabricSpec& spec);

}  // namespace capsim
