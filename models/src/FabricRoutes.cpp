// FabricRoutes: breadth-first distances to a destination, then a walk from the source that picks
// among equally short next hops by destination.
#include "capsim/models/FabricRoutes.hpp"

namespace capsim {

FabricRoutes::FabricRoutes(const TopologyGraph& graph, Routing routing)
    : graph_(graph), routing_(routing) {
  for (auto [e, end] = boost::edges(graph_); e != end; ++e) {
    // The edge property lives once per undirected edge, so its address names the edge from
    // either end of an out_edges() walk.
    const Link* property = &graph_[*e];
    edge_of_.emplace(property, links_.size());
    links_.push_back(property);
    endpoints_.emplace_back(boost::source(*e, graph_), boost::target(*e, graph_));
  }
  for (auto [v, end] = boost::vertices(graph_); v != end; ++v)
    gpu_count_ += graph_[*v].kind == VertexKind::Gpu;
  if (routing_ == Routing::Adaptive) load_.assign(2 * links_.size(), 0);
}

bool FabricRoutes::forwards(const Node& node) {
  return node.kind == VertexKind::Nic || node.kind == VertexKind::NvSwitch ||
         node.kind == VertexKind::Switch;
}

std::size_t FabricRoutes::key_of(TopologyVertex vertex) const {
  const Node& node = graph_[vertex];
  const auto index = static_cast<std::size_t>(node.index < 0 ? 0 : node.index);
  return node.kind == VertexKind::Gpu ? index : gpu_count_ + index;
}

void FabricRoutes::search(TopologyVertex destination, TopologyVertex source) {
  if (distances_.empty()) {
    distances_.assign(boost::num_vertices(graph_), -1);
    stamp_.assign(boost::num_vertices(graph_), 0);
  }
  ++search_;
  auto label = [&](TopologyVertex v, int d) {
    stamp_[v] = search_;
    distances_[v] = d;
  };
  queue_.assign(1, destination);
  label(destination, 0);
  for (std::size_t head = 0; head < queue_.size(); ++head) {
    const auto u = queue_[head];
    // Every vertex closer than the source is expanded once the source's level comes up.
    if (distance(source) >= 0 && distance(u) >= distance(source)) break;
    // Endpoints get a distance (they may be the source) but no route passes through them.
    if (u != destination && !forwards(graph_[u])) continue;
    for (auto [e, end] = boost::out_edges(u, graph_); e != end; ++e) {
      const auto v = boost::target(*e, graph_);
      if (distance(v) >= 0) continue;
      label(v, distance(u) + 1);
      queue_.push_back(v);
    }
  }
}

std::vector<RouteHop> FabricRoutes::route(TopologyVertex source, TopologyVertex destination) {
  std::vector<RouteHop> hops;
  if (source == destination) return hops;
  search(destination, source);
  if (distance(source) < 0) return hops;
  const std::size_t key = key_of(destination);
  std::vector<std::pair<std::size_t, TopologyVertex>> choices;  // (edge number, next vertex)
  for (auto u = source; u != destination;) {
    choices.clear();
    bool nvlink = false;
    for (auto [e, end] = boost::out_edges(u, graph_); e != end; ++e) {
      const auto v = boost::target(*e, graph_);
      if (distance(v) != distance(u) - 1) continue;
      if (v != destination && !forwards(graph_[v])) continue;
      const bool is_nvlink = graph_[*e].kind == LinkKind::NvLink;
      if (is_nvlink && !nvlink) choices.clear();  // NVLink wins a tie
      if (is_nvlink || !nvlink) choices.emplace_back(edge_of_.at(&graph_[*e]), v);
      nvlink = nvlink || is_nvlink;
    }
    // A vertex one link closer always exists: the distances were found over the same rule.
    std::size_t pick = key % choices.size();
    if (routing_ == Routing::Adaptive) {
      auto load_of = [&](std::size_t i) {
        const std::size_t edge = choices[i].first;
        return load_[2 * edge + (endpoints_[edge].first == u ? 0 : 1)];
      };
      const std::size_t first = pick;
      for (std::size_t step = 1; step < choices.size(); ++step) {
        const std::size_t i = (first + step) % choices.size();
        if (load_of(i) < load_of(pick)) pick = i;
      }
    }
    const auto& [edge, next] = choices[pick];
    hops.push_back(RouteHop{edge, endpoints_[edge].first == u});
    u = next;
  }
  if (routing_ == Routing::Adaptive)
    for (const RouteHop& hop : hops) ++load_[2 * hop.edge + (hop.forward ? 0 : 1)];
  return hops;
}

}  // namespace capsim
