#include "capsim/models/Scenario.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "CatalogParsing.hpp"
#include "ScenarioSections.hpp"
#include "YamlReader.hpp"
#include "capsim/models/CalibrationProfile.hpp"

namespace capsim {

const ClusterConfig& Scenario::cluster(const std::string& wanted) const {
  for (const auto& candidate : clusters) {
    if (candidate.name == wanted) return candidate;
  }
  throw ConfigurationError("scenario has no cluster named '" + wanted + "'");
}

KeyOverride parse_key_override(const std::string& text) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw InputError(SourceLocation{"--set " + text, 0, 0}, "", "is not a key=value setting",
                     "--set key.path=value, e.g. --set run.seed=7");
  }
  return KeyOverride{text.substr(0, equals), text.substr(equals + 1)};
}

std::vector<std::string> split_key_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string current;
  for (char c : path) {
    if (c == '.' || c == '[' || c == ']') {
      if (!current.empty()) parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) parts.push_back(current);
  return parts;
}

namespace {

bool is_index(const std::string& part) {
  return !part.empty() &&
         std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Replaces (or adds) the value at an override's key path and returns the path in the form the
// parser's messages use ("workloads[0].tokens"), so errors point back at the --set.
std::string apply_override(YAML::Node& root, const KeyOverride& setting) {
  const std::string where = "--set " + setting.key_path + "=" + setting.value;
  const auto parts = split_key_path(setting.key_path);
  if (parts.empty()) {
    throw InputError(SourceLocation{where, 0, 0}, "", "has an empty key path",
                     "--set key.path=value");
  }
  YAML::Node value;
  try {
    value = parse_yaml_text(setting.value, where);
  } catch (const InputError& error) {  // the value is one line: its line/column add nothing
    throw InputError(SourceLocation{where, 0, 0}, "", error.problem(), "a YAML value");
  }
  YAML::Node current = root;
  std::string normalized;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    if (current.IsSequence()) {
      if (!is_index(part) || std::stoul(part) >= current.size()) {
        throw InputError(SourceLocation{where, 0, 0}, normalized, "has no entry '" + part + "'",
                         "an index below " + std::to_string(current.size()));
      }
      normalized += "[" + part + "]";
      if (last) {
        current[std::stoul(part)] = value;
      } else {
        current.reset(current[std::stoul(part)]);
      }
      continue;
    }
    if (!current.IsMap() && !current.IsNull()) {
      throw InputError(SourceLocation{where, 0, 0}, normalized, "is a single value, not a section",
                       "a key path that follows the scenario's sections");
    }
    normalized += (normalized.empty() ? "" : ".") + part;
    if (last) {
      current[part] = value;
    } else {
      if (!current[part].IsDefined() || current[part].IsNull()) {
        current[part] = YAML::Node(YAML::NodeType::Map);  // a section the file leaves out
      }
      YAML::Node child = current[part];
      current.reset(child);
    }
  }
  return normalized;
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& file, const Catalog& catalog,
                        const std::vector<KeyOverride>& overrides) {
  auto origin = std::make_shared<YamlOrigin>();
  origin->file = file;
  YAML::Node root = parse_yaml_text(text, file);
  if (root.IsNull() || !root.IsDefined()) {
    throw InputError(SourceLocation{file, 0, 0}, "", "the scenario is empty",
                     "sections infrastructure, workloads, economics, targets, run");
  }
  for (const auto& setting : overrides) {
    std::string path = apply_override(root, setting);
    origin->overrides[path] = "--set " + setting.key_path + "=" + setting.value;
  }

  YamlMap top(root, origin, "");
  Scenario scenario;
  scenario.source_file = file;
  scenario.name = top.string("name");
  scenario.description = top.string_or("description", "");
  YamlMap infrastructure = top.map("infrastructure");
  std::vector<YamlMap> site_entries;
  scenario.sites = parse_sites(infrastructure, site_entries);
  scenario.clusters = parse_clusters(infrastructure, catalog, scenario.sites);
  infrastructure.finish();
  const std::string base_dir =
      file.empty() || file[0] == '<' ? "" : std::filesystem::path(file).parent_path().string();
  parse_workloads(top, catalog, scenario.clusters, base_dir, scenario.training, scenario.services);
  scenario.economics = parse_economics(top, catalog, scenario.clusters);
  resolve_site_economics(site_entries, catalog, scenario.economics.params, scenario.sites,
                         scenario.clusters);
  scenario.targets = parse_targets(top);
  scenario.run = parse_run_settings(top);
  top.finish();
  // Profiles are named relative to the scenario file; applied once every section is parsed.
  std::vector<CalibrationChoice> calibrations;
  for (std::size_t i = 0; i < scenario.run.calibration.size(); ++i) {
    calibrations.push_back(
        parse_calibration_choice(scenario.run.calibration[i], base_dir,
                                 file + ": run.calibration[" + std::to_string(i) + "]"));
  }
  apply_calibrations(scenario.clusters, calibrations);

  YAML::Emitter emitter;
  emitter << root;
  scenario.effective_yaml = emitter.c_str();
  return scenario;
}

Scenario load_scenario(const std::string& path, const Catalog& catalog,
                       const std::vector<KeyOverride>& overrides) {
  return parse_scenario(read_text_file(path), path, catalog, overrides);
}

}  // namespace capsim
