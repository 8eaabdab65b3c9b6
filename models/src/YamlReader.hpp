// Location-aware reading of YAML mappings for the catalog and scenario parsers (private to
// models/).
//
// A YamlMap hands out typed values (quantities with units, counts, choices, nested maps) and
// remembers which keys were asked for; finish() then rejects any other key as unknown. Every
// error names the file, line, column and key path.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capsim/models/Errors.hpp"
#include "capsim/models/Units.hpp"

namespace capsim {

/// Where a YAML tree came from: its file, plus key paths replaced by --set overrides.
struct YamlOrigin {
  std::string file;
  std::map<std::string, std::string> overrides;  ///< key path -> "--set key=value" text
};

class YamlMap {
 public:
  /// `node` must be a mapping (or null, read as empty); `key_path` names it in messages.
  YamlMap(YAML::Node node, std::shared_ptr<const YamlOrigin> origin, std::string key_path);

  bool has(const std::string& key) const;
  const std::string& path() const { return path_; }
  std::string child_path(const std::string& key) const;

  double quantity(const std::string& key, Quantity kind);
  std::optional<double> optional_quantity(const std::string& key, Quantity kind);
  double quantity_or(const std::string& key, Quantity kind, double fallback);

  /// A whole number >= minimum (counts, sizes); "15T" style magnitudes are accepted.
  std::int64_t integer(const std::string& key, std::int64_t minimum = 1);
  std::int64_t integer_or(const std::string& key, std::int64_t fallback, std::int64_t minimum = 1);
  std::optional<std::int64_t> optional_integer(const std::string& key, std::int64_t minimum = 1);

  std::string string(const std::string& key);
  std::string string_or(const std::string& key, const std::string& fallback);
  std::optional<std::string> optional_string(const std::string& key);
  bool boolean_or(const std::string& key, bool fallback);

  /// One of `allowed`; anything else is an error listing them.
  std::string choice(const std::string& key, const std::vector<std::string>& allowed,
                     const std::optional<std::string>& fallback = std::nullopt);

  YamlMap map(const std::string& key);
  std::optional<YamlMap> optional_map(const std::string& key);
  /// A sequence of mappings; a missing key gives an empty list.
  std::vector<YamlMap> list_of_maps(const std::string& key);
  std::vector<std::string> list_of_strings(const std::string& key);
  /// The raw node (marks the key as read); for values that are either an id or a map.
  YAML::Node raw(const std::string& key);
  /// Keys present in this mapping, in file order.
  std::vector<std::string> keys() const;

  /// Throws InputError for the first key that no getter asked for.
  void finish() const;

  SourceLocation location(const std::string& key) const;
  SourceLocation location() const;
  [[noreturn]] void fail(const std::string& key, const std::string& problem,
                         const std::string& expected = {}) const;
  const std::shared_ptr<const YamlOrigin>& origin() const { return origin_; }
  const YAML::Node& node() const { return node_; }

 private:
  YAML::Node required_scalar(const std::string& key);
  std::optional<YAML::Node> optional_scalar(const std::string& key);
  /// Throws "is missing", or "did you mean" at a present key that looks like a misspelling.
  [[noreturn]] void missing(const std::string& key, const std::string& expected) const;
  std::int64_t to_integer(const std::string& key, const YAML::Node& value, std::int64_t minimum);

  YAML::Node node_;
  std::shared_ptr<const YamlOrigin> origin_;
  std::string path_;
  std::set<std::string> asked_;
};

/// Location of a node inside a file (line/column from yaml-cpp's 0-based marks).
SourceLocation location_of(const YAML::Node& node, const YamlOrigin& origin,
                           const std::string& key_path);

/// Parses YAML text, turning a syntax error into InputError with the file, line and column.
YAML::Node parse_yaml_text(const std::string& text, const std::string& file);

/// Reads a whole text file; a missing or unreadable file is an InputError naming it.
std::string read_text_file(const std::string& path);

/// Reads and parses a YAML file; a missing or unreadable file is an InputError.
YAML::Node load_yaml_file(const std::string& path);

}  // namespace capsim
