// The topology of a fabric and the figures read off it, remembered for the last few fabrics
// planned (private to models/). The studio's live estimate plans the same cluster after every
// keystroke; for 16,384 GPUs building the graph and its bisection max-flow is most of the
// estimate. build_topology() and the analyses are deterministic functions of the FabricSpec, so
// an equal spec gets the very same figures.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capsim/models/Topology.hpp"

namespace capsim {

struct PlannedTopology {
  Topology topology;
  std::vector<std::string> problems;  ///< Topology::check()
  BillOfMaterials bom;
  double bisection_Bps = 0;  ///< per direction
  int max_switch_hops = 0;
};

/// The planned topology of `spec`: remembered, or built and analysed now. Thread-safe. Throws
/// ConfigurationError as build_topology() does (failures are not remembered).
std::shared_ptr<const PlannedTopology> planned_topology(const FabricSpec& spec);

}  // namespace capsim
