// The parsers of a scenario's sections (private to models/; used by Scenario.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "YamlReader.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim {

std::vector<ClusterConfig> parse_clusters(YamlMap& infrastructure, const Catalog& catalog);
/// Reads the workloads: training jobs into `training`, inference services into `services`;
/// `base_dir` resolves relative trace files.
void parse_workloads(YamlMap& top, const Catalog& catalog,
                     const std::vector<ClusterConfig>& clusters, const std::string& base_dir,
                     std::vector<TrainingWorkload>& training,
                     std::vector<InferenceService>& services);
EconomicsConfig parse_economics(YamlMap& top, const Catalog& catalog,
                                const std::vector<ClusterConfig>& clusters);
Targets parse_targets(YamlMap& top);
/// The default rental rate of `gpu`: the catalog's newest on-demand price (or newest of any
/// terms when none is on demand); empty when the catalog has none.
std::optional<CloudPriceSpec> default_rental(const Catalog& catalog, const std::string& gpu);
RunSettings parse_run_settings(YamlMap& top);

}  // namespace capsim
