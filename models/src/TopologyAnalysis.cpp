// Analyses on a Topology's graph: routes (hops, latency), bisection bandwidth by max flow, and
// the path a parallel group's collective takes.
#include <algorithm>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <cstdint>
#include <limits>
#include <map>

#include "capsim/models/Errors.hpp"
#include "capsim/models/Topology.hpp"

namespace capsim {
namespace {

const TopologyVertex kNoVertex = boost::graph_traits<TopologyGraph>::null_vertex();

bool forwards(VertexKind kind) {
  return kind == VertexKind::Nic || kind == VertexKind::NvSwitch || kind == VertexKind::Switch;
}

bool is_switch(VertexKind kind) {
  return kind == VertexKind::NvSwitch || kind == VertexKind::Switch;
}

// Directed graph for max flow. Capacities are whole bytes per second so the arithmetic is exact
// (and the result does not depend on the order of floating-point sums).
using FlowTraits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<
        boost::edge_capacity_t, std::int64_t,
        boost::property<boost::edge_residual_capacity_t, std::int64_t,
                        boost::property<boost::edge_reverse_t, FlowTraits::edge_descriptor>>>>;

// Two arcs that are each other's reverse. With capacity c both ways they model one full-duplex
// cable: a single-commodity flow never needs both directions of the same cable.
void add_arc_pair(FlowGraph& flow, std::size_t a, std::size_t b, std::int64_t a_to_b,
                  std::int64_t b_to_a) {
  const auto forward = boost::add_edge(a, b, flow).first;
  const auto backward = boost::add_edge(b, a, flow).first;
  boost::put(boost::edge_capacity, flow, forward, a_to_b);
  boost::put(boost::edge_capacity, flow, backward, b_to_a);
  boost::put(boost::edge_reverse, flow, forward, backward);
  boost::put(boost::edge_reverse, flow, backward, forward);
}

}  // namespace

Topology::Routes Topology::routes_from(TopologyVertex source, TopologyVertex stop_at) const {
  const auto n = boost::num_vertices(graph());
  Routes routes{std::vector<int>(n, -1), std::vector<int>(n, 0), std::vector<double>(n, 0.0)};
  std::vector<TopologyVertex> queue;
  queue.reserve(n);
  routes.switch_hops[source] = 0;
  queue.push_back(source);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const auto u = queue[head];
    if (u == stop_at) break;
    if (u != source && !forwards(graph()[u].kind)) continue;  // GPUs and storage do not relay
    const double through_s = u == source ? 0.0 : graph()[u].latency_s;
    // NVLink edges first: at equal length a route through NVLink wins over one through a shared
    // NIC, as NCCL prefers it.
    for (const bool nvlink_pass : {true, false}) {
      for (auto [e, end] = boost::out_edges(u, graph()); e != end; ++e) {
        if ((graph()[*e].kind == LinkKind::NvLink) != nvlink_pass) continue;
        const auto v = boost::target(*e, graph());
        if (routes.switch_hops[v] >= 0) continue;
        routes.switch_hops[v] = routes.switch_hops[u] + (is_switch(graph()[v].kind) ? 1 : 0);
        routes.top_tier[v] = std::max(routes.top_tier[u], graph()[v].tier);
        routes.latency_s[v] = routes.latency_s[u] + through_s + graph()[*e].latency_s;
        queue.push_back(v);
      }
    }
  }
  return routes;
}

int Topology::hops(int gpu_a, int gpu_b) const {
  require_gpu(gpu_a, "hops");
  require_gpu(gpu_b, "hops");
  const int result = routes_from(gpus_[gpu_a], gpus_[gpu_b]).switch_hops[gpus_[gpu_b]];
  if (result < 0)
    throw ConfigurationError("topology: GPU " + std::to_string(gpu_b) + " (" +
                             graph()[gpus_[gpu_b]].name + ") cannot be reached from GPU " +
                             std::to_string(gpu_a) + "; check() lists what is broken");
  return result;
}

int Topology::max_hops() const {
  require_gpu(0, "max_hops");
  // The templates are symmetric (every leaf, pod and rail alike), so GPU 0's farthest GPU is as
  // far as any pair: one BFS instead of N.
  const Routes routes = routes_from(gpus_[0], kNoVertex);
  int farthest = 0;
  for (std::size_t r = 0; r < gpus_.size(); ++r) {
    if (routes.switch_hops[gpus_[r]] < 0)
      throw ConfigurationError("topology: GPU " + std::to_string(r) + " (" +
                               graph()[gpus_[r]].name +
                               ") cannot be reached from GPU 0; check() lists what is broken");
    farthest = std::max(farthest, routes.switch_hops[gpus_[r]]);
  }
  return farthest;
}

double Topology::bisection_bandwidth_Bps() const {
  require_gpu(0, "bisection_bandwidth_Bps");
  // Units that must not be split: a server, or an NVLink domain spanning several servers. Ranks
  // fill servers and domains in order, so a unit starts where both the server and the domain
  // change.
  std::vector<std::size_t> unit_starts{0};
  for (std::size_t r = 1; r < gpus_.size(); ++r) {
    const bool new_server = graph()[gpus_[r]].server != graph()[gpus_[r - 1]].server;
    const bool new_domain =
        nvswitch_of_gpu_[r] == kNoVertex || nvswitch_of_gpu_[r] != nvswitch_of_gpu_[r - 1];
    if (new_server && new_domain) unit_starts.push_back(r);
  }
  if (unit_starts.size() < 2) return 0.0;
  const std::size_t first_half_end = unit_starts[unit_starts.size() / 2];

  // Only the scale-out network: NVLink stays inside a half and storage nodes do not forward.
  const auto n = boost::num_vertices(graph());
  const std::size_t source = n, sink = n + 1;
  FlowGraph flow(n + 2);
  std::int64_t total = 0;
  for (auto [e, end] = boost::edges(graph()); e != end; ++e) {
    const LinkKind kind = graph()[*e].kind;
    if (kind == LinkKind::NvLink || kind == LinkKind::Storage) continue;
    const auto capacity = static_cast<std::int64_t>(std::llround(graph()[*e].bandwidth_Bps));
    add_arc_pair(flow, boost::source(*e, graph()), boost::target(*e, graph()), capacity, capacity);
    total += capacity;
  }
  const std::int64_t unlimited = total + 1;  // more than any cut
  for (std::size_t r = 0; r < gpus_.size(); ++r) {
    if (r < first_half_end)
      add_arc_pair(flow, source, gpus_[r], unlimited, 0);
    else
      add_arc_pair(flow, gpus_[r], sink, unlimited, 0);
  }
  return static_cast<double>(boost::push_relabel_max_flow(flow, source, sink));
}

CollectivePath Topology::collective_path(const std::vector<int>& gpus) const {
  if (gpus.empty()) throw ConfigurationError("topology: collective_path of an empty GPU group");
  for (const int rank : gpus) require_gpu(rank, "collective_path");
  CollectivePath path;
  if (std::all_of(gpus.begin(), gpus.end(), [&](int r) { return r == gpus[0]; })) {
    path.bandwidth_per_gpu_Bps = std::numeric_limits<double>::infinity();  // nothing to send
    return path;
  }

  // Tier and latency from routes out of the first member. The templates are hierarchical, so
  // the highest tier between any two members is the highest tier from the first one.
  const Routes routes = routes_from(gpus_[gpus[0]], kNoVertex);
  for (const int rank : gpus) {
    const auto v = gpus_[rank];
    if (routes.switch_hops[v] < 0)
      throw ConfigurationError("topology: GPU " + std::to_string(rank) + " (" + graph()[v].name +
                               ") cannot be reached from GPU " + std::to_string(gpus[0]) +
                               "; check() lists what is broken");
    path.tier = std::max(path.tier, routes.top_tier[v]);
    if (routes.switch_hops[v] > path.switch_hops ||
        (routes.switch_hops[v] == path.switch_hops && routes.latency_s[v] > path.latency_s)) {
      path.switch_hops = routes.switch_hops[v];
      path.latency_s = routes.latency_s[v];
    }
  }

  // Bandwidth per GPU per direction, from the edges of the graph.
  const auto domain = nvswitch_of_gpu_[gpus[0]];
  const bool one_domain = domain != kNoVertex && std::all_of(gpus.begin(), gpus.end(), [&](int r) {
                            return nvswitch_of_gpu_[r] == domain;
                          });
  auto nvlink_Bps = [&](int rank) {
    double link_Bps = std::numeric_limits<double>::infinity();
    for (auto [e, end] = boost::out_edges(gpus_[rank], graph()); e != end; ++e)
      if (graph()[*e].kind == LinkKind::NvLink)
        link_Bps = std::min(link_Bps, graph()[*e].bandwidth_Bps);
    return link_Bps;
  };
  if (one_domain) {
    for (const int rank : gpus) path.scaleup_Bps = std::min(path.scaleup_Bps, nvlink_Bps(rank));
    path.bandwidth_per_gpu_Bps = path.scaleup_Bps;
    return path;
  }

  // Across domains a ring runs one channel per member of a domain, each leaving the domain
  // through that member's NIC (NCCL's multi-NIC rings): k members of one NVLink domain move
  // k times one member's network share, and each member forwards every channel over NVLink.
  // A GPU outside any NVLink domain is its own domain of one.
  std::map<TopologyVertex, int> members_of_domain;
  for (const int rank : gpus)
    if (nvswitch_of_gpu_[rank] != kNoVertex) ++members_of_domain[nvswitch_of_gpu_[rank]];
  for (const int rank : gpus) {
    // The NIC's fabric links shared by the GPUs behind it, then each tier's uplinks shared by
    // the GPUs below them: a worst case for rings that mostly stay under one leaf.
    const auto nic = nic_of_gpu_[rank];
    if (nic == kNoVertex)
      throw ConfigurationError("topology: GPU " + std::to_string(rank) + " (" +
                               graph()[gpus_[rank]].name + ") has no NIC");
    int gpus_on_nic = 0;
    double nic_Bps = 0.0;
    TopologyVertex leaf = kNoVertex;
    for (auto [e, end] = boost::out_edges(nic, graph()); e != end; ++e) {
      gpus_on_nic += graph()[*e].kind == LinkKind::GpuNic;
      if (graph()[*e].kind != LinkKind::NicLeaf) continue;
      nic_Bps += graph()[*e].bandwidth_Bps;
      leaf = boost::target(*e, graph());
    }
    double share_Bps = nic_Bps / gpus_on_nic;
    if (path.tier >= 2 && leaf != kNoVertex && leaf_gpus_[leaf] > 0)
      share_Bps = std::min(share_Bps, leaf_uplink_Bps_[leaf] / leaf_gpus_[leaf]);
    if (path.tier >= 3 && leaf != kNoVertex) {
      const int pod = pod_of_switch_[leaf];
      if (pod_gpus_[pod] > 0)
        share_Bps = std::min(share_Bps, pod_uplink_Bps_[pod] / pod_gpus_[pod]);
    }
    const auto own_domain = nvswitch_of_gpu_[rank];
    const int members = own_domain == kNoVertex ? 1 : members_of_domain[own_domain];
    path.network_Bps = std::min(path.network_Bps, members * share_Bps);
    if (members > 1) path.scaleup_Bps = std::min(path.scaleup_Bps, nvlink_Bps(rank));
  }
  path.bandwidth_per_gpu_Bps = std::min(path.network_Bps, path.scaleup_Bps);
  return path;
}

}  // namespace capsim
