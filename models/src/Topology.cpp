// Topology: indexing of a graph (GPU ranks, each GPU's NIC and NVLink domain, leaf and pod
// capacities for collective_path), the bill of materials and check().
#include "capsim/models/Topology.hpp"

#include <algorithm>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <functional>
#include <map>

#include "capsim/models/Errors.hpp"

namespace capsim {
namespace {

bool is_network_vertex(const Node& node) {
  return node.kind == VertexKind::Nic || node.kind == VertexKind::Switch;
}

// Connected components of the subgraph of vertices `keep` accepts; -1 for the others.
std::vector<int> components_of(const TopologyGraph& graph,
                               std::function<bool(TopologyVertex)> keep) {
  boost::filtered_graph<TopologyGraph, boost::keep_all, std::function<bool(TopologyVertex)>>
      subgraph(graph, boost::keep_all(), std::move(keep));
  std::vector<int> component(boost::num_vertices(graph), -1);
  boost::connected_components(
      subgraph,
      boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, graph)));
  return component;
}

// First neighbour of `v` whose node satisfies `match`, or null_vertex().
template <class Match>
TopologyVertex neighbour(const TopologyGraph& graph, TopologyVertex v, Match match) {
  for (auto [e, end] = boost::out_edges(v, graph); e != end; ++e)
    if (match(graph[boost::target(*e, graph)])) return boost::target(*e, graph);
  return boost::graph_traits<TopologyGraph>::null_vertex();
}

int gpus_behind(const TopologyGraph& graph, TopologyVertex nic) {
  int count = 0;
  for (auto [e, end] = boost::out_edges(nic, graph); e != end; ++e)
    count += graph[*e].kind == LinkKind::GpuNic;
  return count;
}

// "a, b, c and 4 more" so that a broken 16k-GPU graph gives one readable line.
std::string name_list(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 5;
  std::string text;
  for (std::size_t i = 0; i < std::min(names.size(), kShown); ++i)
    text += (i ? ", " : "") + names[i];
  if (names.size() > kShown) text += " and " + std::to_string(names.size() - kShown) + " more";
  return text;
}

}  // namespace

std::string to_string(Routing routing) {
  return routing == Routing::Adaptive ? "adaptive" : "static";
}

Topology::Topology(TopologyGraph built)
    : Topology(std::make_shared<const TopologyGraph>(std::move(built))) {}

Topology::Topology(std::shared_ptr<const TopologyGraph> built) : graph_(std::move(built)) {
  const auto null = boost::graph_traits<TopologyGraph>::null_vertex();
  const auto vertex_count = boost::num_vertices(graph());
  std::size_t gpu_total = 0;
  for (auto [v, end] = boost::vertices(graph()); v != end; ++v)
    gpu_total += graph()[*v].kind == VertexKind::Gpu;
  gpus_.assign(gpu_total, null);
  for (auto [v, end] = boost::vertices(graph()); v != end; ++v) {
    const Node& node = graph()[*v];
    if (node.kind != VertexKind::Gpu) continue;
    if (node.index < 0 || static_cast<std::size_t>(node.index) >= gpu_total ||
        gpus_[node.index] != null)
      throw ConfigurationError("topology: GPU " + node.name + " has index " +
                               std::to_string(node.index) + "; expected each of 0.." +
                               std::to_string(gpu_total - 1) + " exactly once");
    gpus_[node.index] = *v;
  }

  nic_of_gpu_.resize(gpu_total);
  nvswitch_of_gpu_.resize(gpu_total);
  for (std::size_t r = 0; r < gpu_total; ++r) {
    nic_of_gpu_[r] =
        neighbour(graph(), gpus_[r], [](const Node& n) { return n.kind == VertexKind::Nic; });
    nvswitch_of_gpu_[r] =
        neighbour(graph(), gpus_[r], [](const Node& n) { return n.kind == VertexKind::NvSwitch; });
  }

  // A pod is a connected block of leaves and spines: the whole fabric for leaf/spine and
  // rail-optimized, one pod per block for clos3.
  pod_of_switch_ = components_of(graph(), [this](TopologyVertex v) {
    return graph()[v].kind == VertexKind::Switch && graph()[v].tier >= 1 && graph()[v].tier <= 2;
  });
  const int pods = pod_of_switch_.empty()
                       ? 0
                       : *std::max_element(pod_of_switch_.begin(), pod_of_switch_.end()) + 1;
  pod_uplink_Bps_.assign(pods, 0.0);
  pod_gpus_.assign(pods, 0);
  leaf_uplink_Bps_.assign(vertex_count, 0.0);
  leaf_gpus_.assign(vertex_count, 0);
  for (auto [v, end] = boost::vertices(graph()); v != end; ++v) {
    const Node& node = graph()[*v];
    if (node.kind != VertexKind::Switch || node.tier < 1 || node.tier > 2) continue;
    for (auto [e, e_end] = boost::out_edges(*v, graph()); e != e_end; ++e) {
      const Node& other = graph()[boost::target(*e, graph())];
      const bool up = other.kind == VertexKind::Switch && other.tier == node.tier + 1;
      if (node.tier == 1 && up) leaf_uplink_Bps_[*v] += graph()[*e].bandwidth_Bps;
      if (node.tier == 1 && other.kind == VertexKind::Nic)
        leaf_gpus_[*v] += gpus_behind(graph(), boost::target(*e, graph()));
      if (node.tier == 2 && up) pod_uplink_Bps_[pod_of_switch_[*v]] += graph()[*e].bandwidth_Bps;
    }
    if (node.tier == 1) pod_gpus_[pod_of_switch_[*v]] += leaf_gpus_[*v];
  }
}

TopologyVertex Topology::gpu_vertex(int rank) const {
  require_gpu(rank, "gpu_vertex");
  return gpus_[rank];
}

void Topology::require_gpu(int rank, const char* what) const {
  if (gpus_.empty())
    throw ConfigurationError(std::string("topology: ") + what + " on a topology without GPUs");
  if (rank < 0 || rank >= gpu_count())
    throw ConfigurationError(std::string("topology: ") + what + ": GPU " + std::to_string(rank) +
                             " does not exist; expected 0.." + std::to_string(gpu_count() - 1));
}

BillOfMaterials Topology::bill_of_materials() const {
  BillOfMaterials bom;
  std::vector<bool> server_seen;
  for (auto [v, end] = boost::vertices(graph()); v != end; ++v) {
    const Node& node = graph()[*v];
    switch (node.kind) {
      case VertexKind::Gpu:
        ++bom.gpus;
        if (node.server >= 0) {
          if (static_cast<std::size_t>(node.server) >= server_seen.size())
            server_seen.resize(node.server + 1);
          server_seen[node.server] = true;
        }
        break;
      case VertexKind::Nic:
        ++bom.nics;
        break;
      case VertexKind::NvSwitch:
        ++bom.nvlink_domains;
        break;
      case VertexKind::Storage:
        ++bom.storage_nodes;
        break;
      case VertexKind::Switch:
        if (node.tier == 1) {
          ++bom.leaf_switches;
          const bool has_nic = neighbour(graph(), *v, [](const Node& n) {
                                 return n.kind == VertexKind::Nic;
                               }) != boost::graph_traits<TopologyGraph>::null_vertex();
          const bool has_storage = neighbour(graph(), *v, [](const Node& n) {
                                     return n.kind == VertexKind::Storage;
                                   }) != boost::graph_traits<TopologyGraph>::null_vertex();
          bom.storage_leaf_switches += has_storage && !has_nic;
        }
        bom.spine_switches += node.tier == 2;
        bom.core_switches += node.tier == 3;
        break;
    }
  }
  bom.servers = static_cast<int>(std::count(server_seen.begin(), server_seen.end(), true));
  for (auto [e, end] = boost::edges(graph()); e != end; ++e) {
    switch (graph()[*e].kind) {
      case LinkKind::NicLeaf:
        ++bom.nic_leaf_cables;
        break;
      case LinkKind::LeafSpine:
        ++bom.leaf_spine_cables;
        break;
      case LinkKind::SpineCore:
        ++bom.spine_core_cables;
        break;
      case LinkKind::Storage:
        ++bom.storage_cables;
        break;
      case LinkKind::NvLink:
      case LinkKind::GpuNic:
        break;  // inside the server: no cable to buy
    }
  }
  // Assumption (stated in the header): NIC-to-leaf runs are short copper DACs inside the rack;
  // anything between switches or to storage crosses racks and needs fibre and two optics.
  bom.copper_cables = bom.nic_leaf_cables;
  bom.fiber_cables = bom.leaf_spine_cables + bom.spine_core_cables + bom.storage_cables;
  bom.transceivers = 2 * bom.fiber_cables;
  return bom;
}

std::vector<std::string> Topology::check() const {
  std::vector<std::string> problems;
  for (auto [v, end] = boost::vertices(graph()); v != end; ++v) {
    const Node& node = graph()[*v];
    const auto links = boost::out_degree(*v, graph());
    if (node.kind == VertexKind::Switch && node.ports > 0 &&
        links > static_cast<std::size_t>(node.ports))
      problems.push_back(node.name + " has " + std::to_string(links) + " links but only " +
                         std::to_string(node.ports) + " ports");
  }
  if (gpus_.empty()) return problems;

  // Every GPU needs its own route into one network (NICs and switches): traffic beyond its
  // NVLink domain cannot be relayed through another GPU in this model.
  const auto network =
      components_of(graph(), [this](TopologyVertex v) { return is_network_vertex(graph()[v]); });
  std::map<int, int> gpus_per_component;
  for (std::size_t r = 0; r < gpus_.size(); ++r)
    if (nic_of_gpu_[r] != boost::graph_traits<TopologyGraph>::null_vertex())
      ++gpus_per_component[network[nic_of_gpu_[r]]];
  int main_component = -1, most = 0;
  for (const auto& [component, count] : gpus_per_component)
    if (count > most) main_component = component, most = count;
  std::vector<std::string> cut_off_gpus, cut_off_storage;
  for (auto [v, end] = boost::vertices(graph()); v != end; ++v) {
    const Node& node = graph()[*v];
    if (node.kind != VertexKind::Gpu && node.kind != VertexKind::Storage) continue;
    bool reaches = false;
    for (auto [e, e_end] = boost::out_edges(*v, graph()); e != e_end && !reaches; ++e) {
      const auto other = boost::target(*e, graph());
      reaches = is_network_vertex(graph()[other]) && network[other] == main_component;
    }
    if (!reaches)
      (node.kind == VertexKind::Gpu ? cut_off_gpus : cut_off_storage).push_back(node.name);
  }
  if (!cut_off_gpus.empty())
    problems.push_back(std::to_string(cut_off_gpus.size()) + " of " + std::to_string(gpus_.size()) +
                       " GPUs have no network route to the others (missing NIC or NIC-to-leaf "
                       "link, or a fabric split in parts): " +
                       name_list(cut_off_gpus));
  if (!cut_off_storage.empty())
    problems.push_back(
        std::to_string(cut_off_storage.size()) +
        " storage nodes are not reachable from the GPUs: " + name_list(cut_off_storage));
  return problems;
}

}  // namespace capsim
