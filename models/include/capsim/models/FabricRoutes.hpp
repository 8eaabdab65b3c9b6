// Routes over a Topology graph, as the fabric forwards packets: the simulator plays flows on them
// and the estimate counts the data-parallel rings that share a link (RingContention.hpp).
//
// The rule is the Topology's (see Topology.hpp): NICs, NVSwitches and switches forward, GPUs and
// storage nodes are endpoints only; a route is a shortest one in links, and NVLink is preferred
// where it ties. Topology's own search keeps only the first route found, which would put all of a
// leaf's traffic on its first uplink; here, among next hops that are equally short (parallel
// cables, several spines), the one at (destination key mod choices) is taken, like InfiniBand's
// D-mod-k fat-tree routing: deterministic, and different destinations spread over the uplinks.
// Under adaptive routing (Routing::Adaptive) the least loaded of them is taken instead, load
// being the routes already laid over that link in that direction (ties from the destination's
// choice on): the steady state adaptive routing reaches for long flows such as ring
// collectives, kept deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "capsim/models/Topology.hpp"

namespace capsim {

/// One link of a route: graph edge `edge` (numbered as boost::edges() lists them), crossed from
/// its first endpoint to its second (`forward`) or back.
struct RouteHop {
  std::size_t edge = 0;
  bool forward = true;
};

/// Routes between endpoints of one graph. Each route runs a breadth-first search from its
/// destination that stops once the source's level is reached (a ring neighbour in the same pod
/// never explores the other pods), over distance labels stamped per search (no clearing):
/// memory stays O(vertices) however many GPUs the routes reach.
class FabricRoutes {
 public:
  explicit FabricRoutes(const TopologyGraph& graph, Routing routing = Routing::Static);

  std::size_t edge_count() const { return endpoints_.size(); }
  /// First and second endpoint of edge `edge` (its forward direction runs first -> second).
  TopologyVertex first(std::size_t edge) const { return endpoints_[edge].first; }
  TopologyVertex second(std::size_t edge) const { return endpoints_[edge].second; }
  const Link& link(std::size_t edge) const { return *links_[edge]; }

  /// The links from `source` to `destination` in order; empty when there is no route or when
  /// both are the same vertex. Under adaptive routing each call adds its route to the load.
  std::vector<RouteHop> route(TopologyVertex source, TopologyVertex destination);

  /// Whether traffic may pass through a vertex of this kind (NIC, NVSwitch, switch).
  static bool forwards(const Node& node);

 private:
  /// Labels every vertex closer to `destination` than `source` (and `source`) with its distance
  /// in links under the forwarding rule; distance() reads them.
  void search(TopologyVertex destination, TopologyVertex source);
  /// Links from `v` to the last search's destination; -1 when unknown or unreachable.
  int distance(TopologyVertex v) const { return stamp_[v] == search_ ? distances_[v] : -1; }
  /// Spreads destinations over equal next hops: GPU rank, or GPU count + storage index.
  std::size_t key_of(TopologyVertex vertex) const;

  const TopologyGraph& graph_;
  std::vector<std::pair<TopologyVertex, TopologyVertex>> endpoints_;  ///< by edge number
  std::vector<const Link*> links_;                                    ///< by edge number
  std::unordered_map<const Link*, std::size_t> edge_of_;              ///< property -> number
  std::vector<int> distances_;        ///< valid where stamp_ == search_
  std::vector<std::uint32_t> stamp_;  ///< the search that labelled each vertex
  std::uint32_t search_ = 0;
  std::vector<TopologyVertex> queue_;
  std::size_t gpu_count_ = 0;
  Routing routing_;
  std::vector<int> load_;  ///< adaptive: routes laid per edge direction (2 edge + backward)
};

}  // namespace capsim
