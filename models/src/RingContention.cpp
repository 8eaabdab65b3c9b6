#include "capsim/models/RingContention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "capsim/models/FabricRoutes.hpp"

namespace capsim {

SharedRings dp_rings_shared(const Topology& topology, const TrainingLayout& layout) {
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  const SharedRings kNotAnalysed{kInfinity, 0};
  const long group = static_cast<long>(layout.tp) * layout.cp;
  const long stage_stride = group * layout.dp;
  // Adaptive routing spreads each flow's packets over the equal paths: the rings then share the
  // fabric's capacity, which comm_link's share of the topology already prices.
  if (topology.routing() == Routing::Adaptive) return kNotAnalysed;
  if (layout.dp < 2 || stage_stride * layout.pp > topology.gpu_count()) return kNotAnalysed;
  std::vector<int> first_ring;
  for (int j = 0; j < layout.dp; ++j) first_ring.push_back(static_cast<int>(j * group));
  if (!std::isinf(topology.collective_path(first_ring).scaleup_Bps)) return kNotAnalysed;

  // How many ring edges cross each link in each direction (2 edge + 0 forward, + 1 backward).
  FabricRoutes routes(topology.graph(), Routing::Static);
  std::vector<int> crossings(2 * routes.edge_count(), 0);
  // The first and last pipeline stage whose rings cross each link direction.
  std::vector<int> first_stage(2 * routes.edge_count(), layout.pp),
      last_stage(crossings.size(), -1);
  auto direction_of = [](const RouteHop& hop) { return 2 * hop.edge + (hop.forward ? 0 : 1); };
  for (long stage = 0; stage < layout.pp; ++stage) {
    for (long offset = 0; offset < group; ++offset) {
      for (long j = 0; j < layout.dp; ++j) {
        const long from = stage * stage_stride + offset + j * group;
        const long to = stage * stage_stride + offset + ((j + 1) % layout.dp) * group;
        for (const RouteHop& hop : routes.route(topology.gpu_vertex(static_cast<int>(from)),
                                                topology.gpu_vertex(static_cast<int>(to)))) {
          const std::size_t d = direction_of(hop);
          ++crossings[d];
          first_stage[d] = std::min(first_stage[d], static_cast<int>(stage));
          last_stage[d] = std::max(last_stage[d], static_cast<int>(stage));
        }
      }
    }
  }
  // The slowest edge of all: its link's bandwidth split among the edges crossing it; of links
  // equally slow, the one whose rings' stages are closest together.
  SharedRings busiest{kInfinity, 0};
  for (std::size_t d = 0; d < crossings.size(); ++d) {
    if (crossings[d] == 0) continue;
    const double share_Bps = routes.link(d / 2).bandwidth_Bps / crossings[d];
    const int span = last_stage[d] - first_stage[d];
    if (share_Bps < busiest.shared_Bps ||
        (share_Bps == busiest.shared_Bps && span < busiest.stage_span))
      busiest = SharedRings{share_Bps, span};
  }
  return busiest;
}

}  // namespace capsim
