// The SimGrid platform of a Topology (private to sim/: SimGrid types stay out of the public
// headers). Needs the process's s4u::Engine to exist, configured by configure_network_model().
//
// Layout: one full zone holding one host per GPU used (and per storage node written to, with
// its disk), one SPLITDUPLEX link per graph edge used,
// and an explicit route (a list of directed links) for each pair of hosts that communicates. Why a
// full zone and explicit routes rather than SimGrid's routing:
// - Dijkstra and Floyd zones route over every netpoint by latency, so they would relay traffic
//   through GPUs (NCCL's PXN, which the Topology does not model) and ignore the NVLink preference;
//   fat-tree, dragonfly and torus zones cannot express NVLink domains or multi-NIC servers.
// - Hosts and links are created when first used (a GPU that runs work or ends a route, a link on
//   a route): a pipeline of 16 stages on 16,384 GPUs needs 16 hosts, not 16,384, and the full
//   zone's table grows with the square of the hosts created.
// - With routes given as link lists no router is needed: NICs, NVSwitches and switches are the
//   links' meeting points and appear only through the links of the routes.
// - A full zone looks routes up in O(1); its table costs one pointer per pair of hosts (2 MB at
//   512 GPUs, 130 MB at 4,096), and only the routes that carry traffic are built.
// A forwarding vertex's delay (NIC, NVSwitch, switch) is added to the direction of each of its
// links that enters it, so a route's latency is its links' plus the forwarding vertices' in
// between, as Topology::collective_path() counts it.
#pragma once

#include <simgrid/s4u/Disk.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <string>
#include <vector>

#include "capsim/models/FabricRoutes.hpp"
#include "capsim/models/Topology.hpp"

namespace capsim::sim_detail {

/// Sets the network model so that an uncontended flow takes latency + bytes / bandwidth. Call
/// once, after creating the engine and before building any platform.
void configure_network_model();

/// Host speed, flop/s. Work is given as seconds x kHostFlops (exact at this scale: SimGrid's
/// remaining-work precision is far below one flop of it).
inline constexpr double kHostFlops = 1e15;

/// Fractions of a link's bandwidth that flows get: NVLink links (LinkKind::NvLink) at `scaleup`,
/// every other link (GPU-NIC, NIC-leaf, switch-switch, storage) at `network`. 1 and 1 = raw.
struct LinkEfficiency {
  double scaleup = 1.0;
  double network = 1.0;
};

/// Hosts and links of one Topology inside the engine's root zone.
class SimPlatform {
 public:
  /// Creates the zone (named `zone_name`, inside `parent` when given: seal this one first).
  /// `topology` and `routes` (which numbers the edges) must outlive this.
  SimPlatform(const Topology& topology, const FabricRoutes& routes,
              LinkEfficiency efficiency = LinkEfficiency{},
              const simgrid::s4u::NetZone* parent = nullptr,
              const std::string& zone_name = "capsim");

  /// Creates the host of GPU `rank` if it does not exist yet; call before seal().
  void use_gpu(int rank);
  /// Host of GPU `rank` (use_gpu() must have created it).
  simgrid::s4u::Host* gpu_host(int rank) const;
  /// Adds the one-way route from GPU `from` to GPU `to` along `hops`; once per ordered pair.
  void add_route(int from, int to, const std::vector<RouteHop>& hops);
  /// Seals the zone: call once all routes are added, before the simulation runs.
  void seal();

  /// Storage nodes: one host each, with one disk of the node's read and write bandwidth.
  /// Creates the host of storage node `index` (the topology's storage vertex of that index) if
  /// it does not exist yet; call before seal().
  void use_storage(int index, double read_Bps, double write_Bps);
  simgrid::s4u::Host* storage_host(int index) const;
  simgrid::s4u::Disk* storage_disk(int index) const;
  /// Adds the one-way route from GPU `from` to storage node `storage` along `hops` (from the
  /// GPU, ending with one of the node's links); once per pair.
  void add_storage_route(int from, int storage, const std::vector<RouteHop>& hops);

 private:
  simgrid::s4u::SplitDuplexLink* link(std::size_t edge);

  const Topology& topology_;
  const FabricRoutes& routes_;
  LinkEfficiency efficiency_;
  simgrid::s4u::NetZone* zone_ = nullptr;
  std::string prefix_;                          ///< of host and link names: "" for a root zone
  std::vector<simgrid::s4u::Host*> gpu_hosts_;  ///< by rank; null until used
  std::vector<simgrid::s4u::SplitDuplexLink*> links_;  ///< by edge number; null until used
  std::vector<simgrid::s4u::Host*> storage_hosts_;     ///< by storage index; null until used
  std::vector<TopologyVertex> storage_vertices_;       ///< by storage index
};

}  // namespace capsim::sim_detail
