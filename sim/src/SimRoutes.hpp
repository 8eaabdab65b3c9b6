// Routes over a Topology graph for the simulator, SimGrid-free (private to sim/).
//
// The rule is the Topology's (see Topology.hpp): NICs, NVSwitches and switches forward, GPUs and
// storage nodes are endpoints only; a route is a shortest one in links, and NVLink is preferred
// where it ties. Topology's own search keeps only the first route found, which would put all of a
// leaf's traffic on its first uplink; here, among next hops that are equally short (parallel
// cables, several spines), the one at (destination key mod choices) is taken, like InfiniBand's
// D-mod-k fat-tree routing: deterministic, and different destinations spread over the uplinks.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <vector>

#include "capsim/models/Topology.hpp"

namespace capsim::sim_detail {

/// One link of a route: graph edge `edge` (numbered as boost::edges() lists them), crossed from
/// its first endpoint to its second (`forward`) or back.
struct RouteHop {
  std::size_t edge = 0;
  bool forward = true;
};

/// Routes between endpoints of one graph. Keeps the distances to the last destination asked for
/// only: memory stays O(vertices) however many GPUs the routes reach.
class FabricRoutes {
 public:
  explicit FabricRoutes(const TopologyGraph& graph);

  std::size_t edge_count() const { return endpoints_.size(); }
  /// First and second endpoint of edge `edge` (its forward direction runs first -> second).
  TopologyVertex first(std::size_t edge) const { return endpoints_[edge].first; }
  TopologyVertex second(std::size_t edge) const { return endpoints_[edge].second; }
  const Link& link(std::size_t edge) const { return *links_[edge]; }

  /// The links from `source` to `destination` in order; empty when there is no route or when
  /// both are the same vertex.
  std::vector<RouteHop> route(TopologyVertex source, TopologyVertex destination);

  /// Whether traffic may pass through a vertex of this kind (NIC, NVSwitch, switch).
  static bool forwards(const Node& node);

 private:
  /// Links to `destination` from every vertex (-1 = none) under the forwarding rule.
  const std::vector<int>& distances_to(TopologyVertex destination);
  /// Spreads destinations over equal next hops: GPU rank, or GPU count + storage index.
  std::size_t key_of(TopologyVertex vertex) const;

  const TopologyGraph& graph_;
  std::vector<std::pair<TopologyVertex, TopologyVertex>> endpoints_;  ///< by edge number
  std::vector<const Link*> links_;                                    ///< by edge number
  std::unordered_map<const Link*, std::size_t> edge_of_;              ///< property -> number
  TopologyVertex distances_to_ = boost::graph_traits<TopologyGraph>::null_vertex();
  std::vector<int> distances_;  ///< links to distances_to_ from each vertex
  std::size_t gpu_count_ = 0;
};

}  // namespace capsim::sim_detail
