// ServiceStats as JSON (private to sim/): the child process sends a service's statistics to the
// parent this way (doubles in nlohmann's shortest round-trip text, so bit for bit), and the JSON
// report uses the same keys.
#pragma once

#include <nlohmann/json.hpp>

#include "capsim/sim/ServingSimulation.hpp"

namespace capsim::sim_detail {

nlohmann::json latency_json(const LatencyStats& stats);
nlohmann::json stats_json(const ServiceStats& stats);
ServiceStats stats_from_json(const nlohmann::json& json);

}  // namespace capsim::sim_detail
