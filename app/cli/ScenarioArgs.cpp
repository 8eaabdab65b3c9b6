#include "Commands.hpp"
#include "capsim/models/CalibrationProfile.hpp"

namespace capsim::cli {

Catalog catalog_from(const std::string& catalog_dir) {
  return load_catalog(catalog_dir.empty() ? default_catalog_dir() : catalog_dir);
}

Scenario scenario_from(const ScenarioArgs& args) {
  const Catalog catalog = catalog_from(args.catalog_dir);
  std::vector<KeyOverride> overrides;
  for (const auto& setting : args.settings) overrides.push_back(parse_key_override(setting));
  Scenario scenario = load_scenario(args.scenario, catalog, overrides);
  std::vector<CalibrationChoice> choices;
  for (const auto& text : args.calibration) {
    choices.push_back(parse_calibration_choice(text, "", "--calibration " + text));
  }
  apply_calibrations(scenario.clusters, choices);
  return scenario;
}

}  // namespace capsim::cli
