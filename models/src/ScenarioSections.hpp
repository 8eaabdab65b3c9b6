// The parsers of a scenario's sections (private to models/; used by Scenario.cpp).
#pragma once

#include <vector>

#include "YamlReader.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim {

std::vector<ClusterConfig> parse_clusters(YamlMap& infrastructure, const Catalog& catalog);
std::vector<TrainingWorkload> parse_workloads(YamlMap& top, const Catalog& catalog,
                                              const std::vector<ClusterConfig>& clusters);
EconomicsConfig parse_economics(YamlMap& top, const Catalog& catalog,
                                const std::vector<ClusterConfig>& clusters);
Targets parse_targets(YamlMap& top);
RunSettings parse_run_settings(YamlMap& top);

}  // namespace capsim
