#include "YamlReader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace capsim {

SourceLocation location_of(const YAML::Node& node, const YamlOrigin& origin,
                           const std::string& key_path) {
  for (const auto& [path, setting] : origin.overrides) {
    // A value replaced on the command line is reported at the --set that replaced it.
    if (key_path == path || key_path.rfind(path + ".", 0) == 0 ||
        key_path.rfind(path + "[", 0) == 0) {
      return SourceLocation{setting, 0, 0};
    }
  }
  SourceLocation where{origin.file, 0, 0};
  if (node.IsDefined()) {
    const YAML::Mark mark = node.Mark();
    if (mark.line >= 0) {
      where.line = mark.line + 1;
      where.column = mark.column + 1;
    }
  }
  return where;
}

YAML::Node parse_yaml_text(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& error) {
    SourceLocation where{file, 0, 0};
    if (error.mark.line >= 0) {
      where.line = error.mark.line + 1;
      where.column = error.mark.column + 1;
    }
    throw InputError(where, "", "YAML syntax error: " + error.msg, "valid YAML");
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!std::filesystem::is_regular_file(path) || !in) {
    throw InputError(SourceLocation{path, 0, 0}, "", "cannot open the file",
                     "an existing, readable file");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

YAML::Node load_yaml_file(const std::string& path) {
  return parse_yaml_text(read_text_file(path), path);
}

YamlMap::YamlMap(YAML::Node node, std::shared_ptr<const YamlOrigin> origin, std::string key_path)
    : node_(std::move(node)), origin_(std::move(origin)), path_(std::move(key_path)) {
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    throw InputError(location_of(node_, *origin_, path_), path_, "is not a mapping",
                     "a block of 'key: value' lines");
  }
  // yaml-cpp keeps both copies of a repeated key and node[key] returns the first, so the second
  // value would be ignored without a word.
  if (node_.IsMap()) {
    std::map<std::string, YAML::Node> seen;
    for (const auto& entry : node_) {
      const std::string& key = entry.first.Scalar();
      auto [first, inserted] = seen.emplace(key, entry.first);
      if (!inserted) {
        throw InputError(location_of(entry.first, *origin_, child_path(key)), child_path(key),
                         "appears twice in this mapping (first at " +
                             location_of(first->second, *origin_, child_path(key)).to_string() +
                             ")",
                         "each key once");
      }
    }
  }
}

std::string YamlMap::child_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

bool YamlMap::has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

SourceLocation YamlMap::location() const { return location_of(node_, *origin_, path_); }

SourceLocation YamlMap::location(const std::string& key) const {
  if (node_.IsMap()) {
    for (const auto& entry : node_) {
      if (entry.first.Scalar() == key) {
        return location_of(entry.second.IsNull() ? entry.first : entry.second, *origin_,
                           child_path(key));
      }
    }
  }
  return location_of(node_, *origin_, child_path(key));
}

void YamlMap::fail(const std::string& key, const std::string& problem,
                   const std::string& expected) const {
  throw InputError(location(key), child_path(key), problem, expected);
}

std::optional<YAML::Node> YamlMap::optional_scalar(const std::string& key) {
  asked_.insert(key);
  if (!has(key)) return std::nullopt;
  YAML::Node value = node_[key];
  if (!value.IsScalar()) fail(key, "is a list or mapping", "a single value");
  return value;
}

namespace {

// Levenshtein distance, to spot a misspelt key ("global_bach" for "global_batch").
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

void YamlMap::missing(const std::string& key, const std::string& expected) const {
  for (const auto& present : keys()) {
    if (!asked_.count(present) && edit_distance(present, key) <= 2) {
      fail(present, "is not a known key; did you mean '" + key + "'?", expected);
    }
  }
  throw InputError(location(), child_path(key), "is missing", expected);
}

YAML::Node YamlMap::required_scalar(const std::string& key) {
  auto value = optional_scalar(key);
  if (!value) missing(key, "this key to be given");
  return *value;
}

double YamlMap::quantity(const std::string& key, Quantity kind) {
  YAML::Node value = required_scalar(key);
  try {
    return parse_quantity(value.Scalar(), kind);
  } catch (const UnitError& error) {
    fail(key, error.problem(), error.expected());
  }
}

std::optional<double> YamlMap::optional_quantity(const std::string& key, Quantity kind) {
  if (!optional_scalar(key)) return std::nullopt;
  return quantity(key, kind);
}

double YamlMap::quantity_or(const std::string& key, Quantity kind, double fallback) {
  return optional_quantity(key, kind).value_or(fallback);
}

std::int64_t YamlMap::to_integer(const std::string& key, const YAML::Node& value,
                                 std::int64_t minimum) {
  double number = 0;
  const std::string expected = "a whole number >= " + std::to_string(minimum);
  try {
    number = parse_quantity(value.Scalar(), Quantity::Count);
  } catch (const UnitError& error) {
    if (!value.Scalar().empty() && value.Scalar().front() == '-') {
      fail(key, "'" + value.Scalar() + "' is negative", expected);
    }
    fail(key, error.problem(), expected);
  }
  if (number != std::floor(number) || number > 9.0e18) {
    fail(key, "'" + value.Scalar() + "' is not a whole number", expected);
  }
  auto result = static_cast<std::int64_t>(number);
  if (result < minimum) {
    fail(key, "'" + value.Scalar() + "' is " + (result == 0 ? "zero" : "too small"), expected);
  }
  return result;
}

std::int64_t YamlMap::integer(const std::string& key, std::int64_t minimum) {
  return to_integer(key, required_scalar(key), minimum);
}

std::optional<std::int64_t> YamlMap::optional_integer(const std::string& key,
                                                      std::int64_t minimum) {
  auto value = optional_scalar(key);
  if (!value) return std::nullopt;
  return to_integer(key, *value, minimum);
}

std::int64_t YamlMap::integer_or(const std::string& key, std::int64_t fallback,
                                 std::int64_t minimum) {
  return optional_integer(key, minimum).value_or(fallback);
}

std::string YamlMap::string(const std::string& key) { return required_scalar(key).Scalar(); }

std::optional<std::string> YamlMap::optional_string(const std::string& key) {
  auto value = optional_scalar(key);
  if (!value) return std::nullopt;
  return value->Scalar();
}

std::string YamlMap::string_or(const std::string& key, const std::string& fallback) {
  return optional_string(key).value_or(fallback);
}

bool YamlMap::boolean_or(const std::string& key, bool fallback) {
  auto value = optional_scalar(key);
  if (!value) return fallback;
  const std::string& text = value->Scalar();
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  fail(key, "'" + text + "' is not a boolean", "true or false");
}

std::string YamlMap::choice(const std::string& key, const std::vector<std::string>& allowed,
                            const std::optional<std::string>& fallback) {
  auto value = fallback ? optional_string(key) : std::optional<std::string>(string(key));
  if (!value) return *fallback;
  for (const auto& option : allowed) {
    if (*value == option) return *value;
  }
  std::string list;
  for (const auto& option : allowed) list += (list.empty() ? "" : ", ") + option;
  fail(key, "'" + *value + "' is not a known choice", "one of: " + list);
}

YamlMap YamlMap::map(const std::string& key) {
  asked_.insert(key);
  if (!has(key)) missing(key, "this section to be given");
  if (!node_[key].IsMap()) fail(key, "is not a mapping", "a block of 'key: value' lines");
  return YamlMap(node_[key], origin_, child_path(key));
}

std::optional<YamlMap> YamlMap::optional_map(const std::string& key) {
  asked_.insert(key);
  if (!has(key)) return std::nullopt;
  return map(key);
}

std::vector<YamlMap> YamlMap::list_of_maps(const std::string& key) {
  asked_.insert(key);
  std::vector<YamlMap> items;
  if (!has(key)) return items;
  YAML::Node list = node_[key];
  if (!list.IsSequence()) fail(key, "is not a list", "a list of '- key: value' entries");
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string item_path = child_path(key) + "[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) {
      throw InputError(location_of(list[i], *origin_, item_path), item_path, "is not a mapping",
                       "a block of 'key: value' lines");
    }
    items.emplace_back(list[i], origin_, item_path);
  }
  return items;
}

std::vector<std::string> YamlMap::list_of_strings(const std::string& key) {
  asked_.insert(key);
  std::vector<std::string> items;
  if (!has(key)) return items;
  YAML::Node list = node_[key];
  if (list.IsScalar()) return {list.Scalar()};
  if (!list.IsSequence()) fail(key, "is not a list", "a list of names");
  for (const auto& item : list) {
    if (!item.IsScalar()) fail(key, "has an entry that is not a name", "a list of names");
    items.push_back(item.Scalar());
  }
  return items;
}

YAML::Node YamlMap::raw(const std::string& key) {
  asked_.insert(key);
  return has(key) ? node_[key] : YAML::Node();
}

std::vector<std::string> YamlMap::keys() const {
  std::vector<std::string> names;
  if (!node_.IsMap()) return names;
  for (const auto& entry : node_) names.push_back(entry.first.Scalar());
  return names;
}

void YamlMap::finish() const {
  for (const auto& name : keys()) {
    if (asked_.count(name)) continue;
    std::string list;
    for (const auto& known : asked_) list += (list.empty() ? "" : ", ") + known;
    SourceLocation where = location();
    for (const auto& entry : node_) {
      if (entry.first.Scalar() == name)
        where = location_of(entry.first, *origin_, child_path(name));
    }
    throw InputError(where, child_path(name), "unknown key",
                     list.empty() ? "no keys here" : "one of: " + list);
  }
}

}  // namespace capsim
