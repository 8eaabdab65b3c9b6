#include "Commands.hpp"

namespace capsim::cli {

Catalog catalog_from(const std::string& catalog_dir) {
  return load_catalog(catalog_dir.empty() ? default_catalog_dir() : catalog_dir);
}

Scenario scenario_from(const ScenarioArgs& args) {
  const Catalog catalog = catalog_from(args.catalog_dir);
  std::vector<KeyOverride> overrides;
  for (const auto& setting : args.settings) overrides.push_back(parse_key_override(setting));
  return load_scenario(args.scenario, catalog, overrides);
}

}  // namespace capsim::cli
