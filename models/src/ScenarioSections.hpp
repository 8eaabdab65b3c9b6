// The parsers of a scenario's sections (private to models/; used by Scenario.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "YamlReader.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim {

/// Reads infrastructure.sites: names, locations, descriptions. Each site's mapping is kept in
/// `entries` for resolve_site_economics, which needs the scenario's economics first.
std::vector<SiteConfig> parse_sites(YamlMap& infrastructure, std::vector<YamlMap>& entries);
/// Resolves each site's `economics` (over `scenario_tco` unless it names a catalog id) and gives
/// every cluster that names a site that site's values.
void resolve_site_economics(std::vector<YamlMap>& entries, const Catalog& catalog,
                            const EconomicsSpec& scenario_tco, std::vector<SiteConfig>& sites,
                            std::vector<ClusterConfig>& clusters);
/// Reads infrastructure.clusters; a cluster's `site` must name one of `sites`.
std::vector<ClusterConfig> parse_clusters(YamlMap& infrastructure, const Catalog& catalog,
                                          const std::vector<SiteConfig>& sites);
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
