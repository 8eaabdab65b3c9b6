// place_workloads(): packed (consecutive servers in scenario order) or scattered (round robin).
#include "Placement.hpp"

#include <cstddef>

namespace capsim::sim_detail {

std::vector<std::vector<int>> place_workloads(const Scenario& scenario) {
  std::vector<std::vector<int>> servers(scenario.training.size());
  for (const ClusterConfig& cluster : scenario.clusters) {
    std::vector<std::size_t> placed;  // workloads on this cluster that set servers, in order
    for (std::size_t w = 0; w < scenario.training.size(); ++w) {
      const TrainingWorkload& job = scenario.training[w];
      if (job.cluster == cluster.name && job.servers > 0) placed.push_back(w);
    }
    int next = 0;
    if (cluster.placement == "scattered") {
      bool dealt = true;
      while (dealt) {
        dealt = false;
        for (const std::size_t w : placed) {
          if (static_cast<int>(servers[w].size()) == scenario.training[w].servers) continue;
          servers[w].push_back(next++);
          dealt = true;
        }
      }
    } else {
      for (const std::size_t w : placed)
        for (int i = 0; i < scenario.training[w].servers; ++i) servers[w].push_back(next++);
    }
  }
  return servers;
}

std::vector<int> gpus_of(const std::vector<int>& servers, int gpus_per_server) {
  std::vector<int> gpus;
  for (const int server : servers)
    for (int g = 0; g < gpus_per_server; ++g) gpus.push_back(server * gpus_per_server + g);
  return gpus;
}

}  // namespace capsim::sim_detail
