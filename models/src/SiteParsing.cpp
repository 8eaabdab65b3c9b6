// infrastructure.sites: the data centres clusters stand in, each with its own TCO values.
#include <algorithm>
#include <set>

#include "CatalogReference.hpp"
#include "ScenarioSections.hpp"

namespace capsim {
namespace {

// A site's `economics`: a catalog id (that entry as it stands), or a mapping of overrides over the
// scenario's economics.tco (or over the catalog entry its `id` names); absent: economics.tco.
EconomicsSpec site_economics(YamlMap& site, const Catalog& catalog,
                             const EconomicsSpec& scenario_tco) {
  const YAML::Node node = site.raw("economics");
  if (!node.IsDefined() || node.IsNull()) return scenario_tco;
  if (node.IsScalar()) return resolve_entry(site, "economics", catalog.economics, "economics");
  if (!node.IsMap()) {
    site.fail("economics", "is a list",
              "an economics id or a mapping of TCO values such as {electricity_price: "
              "\"$0.08/kWh\", pue: 1.2}");
  }
  const std::string path = site.child_path("economics");
  YamlMap overrides(node, site.origin(), path);
  EconomicsSpec spec = scenario_tco;
  if (auto id = overrides.optional_string("id")) {
    spec = find_entry(catalog.economics, *id, "economics", overrides.location("id"), path + ".id");
  }
  read_fields(overrides, spec);
  overrides.finish();
  check_complete(spec, overrides.location(), path);
  return spec;
}

}  // namespace

std::vector<SiteConfig> parse_sites(YamlMap& infrastructure, std::vector<YamlMap>& entries) {
  entries = infrastructure.list_of_maps("sites");
  std::vector<SiteConfig> sites;
  std::set<std::string> names;
  for (auto& entry : entries) {
    SiteConfig site;
    site.name = entry.string("name");
    if (site.name.empty()) entry.fail("name", "is empty", "a site name such as \"oregon\"");
    if (!names.insert(site.name).second) {
      entry.fail("name", "'" + site.name + "' is used twice", "unique site names");
    }
    site.location = entry.string_or("location", "");
    site.description = entry.string_or("description", "");
    sites.push_back(site);
  }
  return sites;
}

void resolve_site_economics(std::vector<YamlMap>& entries, const Catalog& catalog,
                            const EconomicsSpec& scenario_tco, std::vector<SiteConfig>& sites,
                            std::vector<ClusterConfig>& clusters) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    sites[i].economics = site_economics(entries[i], catalog, scenario_tco);
    entries[i].finish();
  }
  for (auto& cluster : clusters) {
    if (cluster.site.empty()) continue;
    const auto site = std::find_if(sites.begin(), sites.end(),
                                   [&](const SiteConfig& s) { return s.name == cluster.site; });
    cluster.site_economics = site->economics;  // parse_clusters checked that the site exists
  }
}

}  // namespace capsim
