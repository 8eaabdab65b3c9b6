// SimPlatform: hosts, links and routes of a Topology in a SimGrid full zone.
#include "SimPlatform.hpp"

#include <simgrid/s4u/Engine.hpp>
#include <stdexcept>
#include <string>

namespace capsim::sim_detail {

void configure_network_model() {
  namespace s4u = simgrid::s4u;
  // CM02: max-min fair sharing with no latency or bandwidth correction factors. The default LV08
  // scales latency by 13.01 and bandwidth by 0.97 (TCP fits of wide-area links), which would
  // break the agreement with the alpha-beta formulas.
  s4u::Engine::set_config("network/model:CM02");
  // No cross traffic: otherwise each flow also loads the reverse direction of its links (TCP
  // acknowledgements), and a ring's two directions would slow each other down.
  s4u::Engine::set_config("network/crosstraffic:0");
  // TCP-gamma caps a flow at gamma / (2 latency) (a TCP window limit, 4 MiB by default); RDMA
  // has no such window, so make the cap far above any link's bandwidth.
  s4u::Engine::set_config("network/TCP-gamma:1e18");
}

namespace {

std::string vertex_label(const TopologyGraph& graph, TopologyVertex v) {
  return std::string("v").append(std::to_string(v)).append(":").append(graph[v].name);
}

}  // namespace

SimPlatform::SimPlatform(const Topology& topology, const FabricRoutes& routes,
                         LinkEfficiency efficiency, const simgrid::s4u::NetZone* parent,
                         const std::string& zone_name)
    : topology_(topology),
      routes_(routes),
      efficiency_(efficiency),
      zone_(simgrid::s4u::create_full_zone(zone_name)),
      gpu_hosts_(topology.gpu_count(), nullptr),
      links_(routes.edge_count(), nullptr) {
  if (parent) {
    zone_->set_parent(parent);
    prefix_ = zone_name + "/";
  }
  const TopologyGraph& graph = topology.graph();
  for (auto [v, end] = boost::vertices(graph); v != end; ++v) {
    const Node& node = graph[*v];
    if (node.kind != VertexKind::Storage) continue;
    const auto index = static_cast<std::size_t>(node.index);
    if (storage_vertices_.size() <= index) storage_vertices_.resize(index + 1);
    storage_vertices_[index] = *v;
  }
  storage_hosts_.assign(storage_vertices_.size(), nullptr);
}

void SimPlatform::use_gpu(int rank) {
  if (gpu_hosts_.at(rank)) return;
  const TopologyGraph& graph = topology_.graph();
  // Host and link names are global in SimGrid: a zone inside another gets its name as a prefix.
  std::string name = prefix_;
  name += vertex_label(graph, topology_.gpu_vertex(rank));
  gpu_hosts_[rank] = zone_->create_host(name, kHostFlops)->seal();
}

simgrid::s4u::Host* SimPlatform::gpu_host(int rank) const {
  simgrid::s4u::Host* host = gpu_hosts_.at(rank);
  if (!host) throw std::logic_error("SimPlatform: GPU " + std::to_string(rank) + " not in use");
  return host;
}

simgrid::s4u::SplitDuplexLink* SimPlatform::link(std::size_t e) {
  if (links_.at(e)) return links_[e];
  const TopologyGraph& graph = topology_.graph();
  const auto a = routes_.first(e), b = routes_.second(e);
  const Link& edge = routes_.link(e);
  const std::string name = std::string(prefix_)
                               .append("e")
                               .append(std::to_string(e))
                               .append(":")
                               .append(graph[a].name)
                               .append("-")
                               .append(graph[b].name);
  const double share = edge.kind == LinkKind::NvLink ? efficiency_.scaleup : efficiency_.network;
  auto* created = zone_->create_split_duplex_link(name, edge.bandwidth_Bps * share);
  // Each direction carries the delay of the vertex it enters if that vertex forwards; a GPU or
  // storage node at the end of a route adds none.
  auto entering_s = [&](TopologyVertex v) {
    return FabricRoutes::forwards(graph[v]) ? graph[v].latency_s : 0.0;
  };
  created->get_link_up()->set_latency(edge.latency_s + entering_s(b));
  created->get_link_down()->set_latency(edge.latency_s + entering_s(a));
  created->seal();
  links_[e] = created;
  return created;
}

void SimPlatform::add_route(int from, int to, const std::vector<RouteHop>& hops) {
  using Direction = simgrid::s4u::LinkInRoute::Direction;
  use_gpu(from);
  use_gpu(to);
  std::vector<simgrid::s4u::LinkInRoute> path;
  path.reserve(hops.size());
  for (const RouteHop& hop : hops)
    path.emplace_back(link(hop.edge), hop.forward ? Direction::UP : Direction::DOWN);
  zone_->add_route(gpu_hosts_[from]->get_netpoint(), gpu_hosts_[to]->get_netpoint(), nullptr,
                   nullptr, path, /*symmetrical=*/false);
}

void SimPlatform::seal() { zone_->seal(); }

void SimPlatform::use_storage(int index, double read_Bps, double write_Bps) {
  if (storage_hosts_.at(index)) return;
  const TopologyGraph& graph = topology_.graph();
  simgrid::s4u::Host* host =
      zone_->create_host(prefix_ + vertex_label(graph, storage_vertices_.at(index)), kHostFlops);
  host->create_disk("disk", read_Bps, write_Bps);
  storage_hosts_[index] = host->seal();
}

simgrid::s4u::Host* SimPlatform::storage_host(int index) const {
  simgrid::s4u::Host* host = storage_hosts_.at(index);
  if (!host)
    throw std::logic_error("SimPlatform: storage node " + std::to_string(index) + " not in use");
  return host;
}

simgrid::s4u::Disk* SimPlatform::storage_disk(int index) const {
  return storage_host(index)->get_disks().front();
}

void SimPlatform::add_storage_route(int from, int storage, const std::vector<RouteHop>& hops) {
  using Direction = simgrid::s4u::LinkInRoute::Direction;
  use_gpu(from);
  std::vector<simgrid::s4u::LinkInRoute> path;
  path.reserve(hops.size());
  for (const RouteHop& hop : hops)
    path.emplace_back(link(hop.edge), hop.forward ? Direction::UP : Direction::DOWN);
  zone_->add_route(gpu_hosts_[from]->get_netpoint(), storage_host(storage)->get_netpoint(), nullptr,
                   nullptr, path, /*symmetrical=*/false);
}

}  // namespace capsim::sim_detail
