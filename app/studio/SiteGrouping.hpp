// Grouping clusters into a site, as a text edit of the scenario (ScenarioText.hpp): the clusters
// get `site: NAME`, and a site of that name is appended to infrastructure.sites when there is
// none, so the file keeps everything else as the user wrote it. No Qt here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace capsim::studio {

/// The names of infrastructure.sites[], in file order.
std::vector<std::string> site_names(const YAML::Node& root);

/// A site name not used yet: "site1", "site2", ...
std::string unused_site_name(const YAML::Node& root);

/// The text with the clusters at `cluster_indices` (of infrastructure.clusters) standing in site
/// `site`: each gets `site: SITE` (replacing the site it named), and the site is appended to
/// infrastructure.sites (the list created when missing) unless one already has that name.
/// Throws TextEditError when a cluster index does not exist.
std::string group_into_site(const std::string& text, const std::vector<int>& cluster_indices,
                            const std::string& site);

}  // namespace capsim::studio
