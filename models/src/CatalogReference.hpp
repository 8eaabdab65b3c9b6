// Resolving a catalog reference in a scenario: either an id ("dgx-h100") or a mapping with an id
// and inline overrides ({id: dgx-h100, price: "$300k"}). Private to models/.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "CatalogParsing.hpp"
#include "YamlReader.hpp"

namespace capsim {

template <typename Spec>
const Spec& find_entry(const std::map<std::string, Spec>& entries, const std::string& id,
                       const std::string& kind, const SourceLocation& where,
                       const std::string& key_path) {
  auto found = entries.find(id);
  if (found != entries.end()) return found->second;
  std::string known;
  for (const auto& [name, entry] : entries) known += (known.empty() ? "" : ", ") + name;
  throw InputError(where, key_path, "unknown " + kind + " id '" + id + "'",
                   "one of: " + known + " (see `capsim catalog`)");
}

/// Reads `key` of `parent` as a reference to one of `entries`; `default_id` is used when the key
/// is absent or its mapping has no `id`. Returns a copy with the inline overrides applied.
template <typename Spec>
Spec resolve_entry(YamlMap& parent, const std::string& key,
                   const std::map<std::string, Spec>& entries, const std::string& kind,
                   const std::optional<std::string>& default_id = std::nullopt) {
  YAML::Node node = parent.raw(key);
  const std::string path = parent.child_path(key);
  if (!node.IsDefined() || node.IsNull()) {
    if (!default_id) {
      throw InputError(parent.location(), path, "is missing", "a " + kind + " id");
    }
    return find_entry(entries, *default_id, kind, parent.location(), path);
  }
  if (node.IsScalar()) {
    return find_entry(entries, node.Scalar(), kind, parent.location(key), path);
  }
  if (!node.IsMap()) {
    parent.fail(key, "is a list", "a " + kind + " id or a mapping with 'id' and overrides");
  }
  YamlMap overrides(node, parent.origin(), path);
  std::string id = default_id ? overrides.string_or("id", *default_id) : overrides.string("id");
  Spec spec = find_entry(entries, id, kind, overrides.location("id"), path + ".id");
  read_fields(overrides, spec);
  overrides.finish();
  check_complete(spec, overrides.location(), path);
  return spec;
}

}  // namespace capsim
