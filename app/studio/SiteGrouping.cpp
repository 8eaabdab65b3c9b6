#include "SiteGrouping.hpp"

#include <algorithm>

#include "ScenarioText.hpp"

namespace capsim::studio {

std::vector<std::string> site_names(const YAML::Node& root) {
  std::vector<std::string> names;
  const YAML::Node sites = find_node(root, "infrastructure.sites");
  for (std::size_t i = 0; sites.IsSequence() && i < sites.size(); ++i) {
    const YAML::Node name = sites[i].IsMap() ? find_node(sites[i], "name") : YAML::Node();
    if (name.IsScalar()) names.push_back(name.Scalar());
  }
  return names;
}

std::string unused_site_name(const YAML::Node& root) {
  const std::vector<std::string> taken = site_names(root);
  for (int n = 1;; ++n) {
    std::string name = "site";
    name += std::to_string(n);
    if (std::find(taken.begin(), taken.end(), name) == taken.end()) return name;
  }
}

std::string group_into_site(const std::string& text, const std::vector<int>& cluster_indices,
                            const std::string& site) {
  std::string out = text;
  const YAML::Node root = YAML::Load(text);
  const YAML::Node clusters = find_node(root, "infrastructure.clusters");
  for (int index : cluster_indices) {
    if (!clusters.IsSequence() || index < 0 || index >= static_cast<int>(clusters.size())) {
      throw TextEditError("no cluster " + std::to_string(index) + " to group");
    }
  }
  const std::vector<std::string> names = site_names(root);
  if (std::find(names.begin(), names.end(), site) == names.end()) {
    out = append_item(out, "infrastructure.sites", {"name: " + yaml_scalar(site)});
  }
  // Setting a key leaves the other clusters' text where it was, so each index stays valid.
  for (int index : cluster_indices) {
    std::string path = "infrastructure.clusters[";
    path += std::to_string(index);
    path += "].site";
    out = set_value(out, path, site);
  }
  return out;
}

}  // namespace capsim::studio
