// SimPlatform: hosts, links and routes of a Topology in a SimGrid full zone.
#include "SimPlatform.hpp"

#include <simgrid/s4u/Engine.hpp>
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
                         LinkEfficiency efficiency)
    : zone_(simgrid::s4u::create_full_zone("capsim")) {
  const TopologyGraph& graph = topology.graph();
  gpu_hosts_.resize(topology.gpu_count());
  for (auto [v, end] = boost::vertices(graph); v != end; ++v) {
    const Node& node = graph[*v];
    if (node.kind != VertexKind::Gpu && node.kind != VertexKind::Storage) continue;
    auto* host = zone_->create_host(vertex_label(graph, *v), kHostFlops)->seal();
    if (node.kind == VertexKind::Gpu) gpu_hosts_[node.index] = host;
  }
  links_.reserve(routes.edge_count());
  for (std::size_t e = 0; e < routes.edge_count(); ++e) {
    const auto a = routes.first(e), b = routes.second(e);
    const Link& edge = routes.link(e);
    const std::string name = std::string("e")
                                 .append(std::to_string(e))
                                 .append(":")
                                 .append(graph[a].name)
                                 .append("-")
                                 .append(graph[b].name);
    const double share = edge.kind == LinkKind::NvLink ? efficiency.scaleup : efficiency.network;
    auto* link = zone_->create_split_duplex_link(name, edge.bandwidth_Bps * share);
    // Each direction carries the delay of the vertex it enters if that vertex forwards; a GPU or
    // storage node at the end of a route adds none.
    auto entering_s = [&](TopologyVertex v) {
      return FabricRoutes::forwards(graph[v]) ? graph[v].latency_s : 0.0;
    };
    link->get_link_up()->set_latency(edge.latency_s + entering_s(b));
    link->get_link_down()->set_latency(edge.latency_s + entering_s(a));
    link->seal();
    links_.push_back(link);
  }
}

void SimPlatform::add_route(int from, int to, const std::vector<RouteHop>& hops) {
  using Direction = simgrid::s4u::LinkInRoute::Direction;
  std::vector<simgrid::s4u::LinkInRoute> path;
  path.reserve(hops.size());
  for (const RouteHop& hop : hops)
    path.emplace_back(links_.at(hop.edge), hop.forward ? Direction::UP : Direction::DOWN);
  zone_->add_route(gpu_hosts_.at(from)->get_netpoint(), gpu_hosts_.at(to)->get_netpoint(), nullptr,
                   nullptr, path, /*symmetrical=*/false);
}

void SimPlatform::seal() { zone_->seal(); }

}  // namespace capsim::sim_detail
