// Edits of a scenario file made on its text, so that everything the user wrote and did not edit
// (key order, comments, blank lines, flow or block style) stays as it was.
//
// Each edit finds the YAML node it changes by key path ("infrastructure.clusters[0].count") in a
// fresh yaml-cpp parse of the text, uses the node's mark (byte offset, line, column) to locate it,
// and replaces, inserts or removes exactly that stretch of text. No Qt here: the studio's document
// wraps these functions with undo/redo, and they are tested on their own.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace capsim::studio {

/// An edit that cannot be made on this text (path not found, node of the wrong kind).
class TextEditError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The node at `key_path` under `root`, or an undefined node when any part is missing.
YAML::Node find_node(const YAML::Node& root, const std::string& key_path);

/// A scalar value as YAML writes it: plain when that reads back as the same string, else
/// double-quoted. `in_flow` also quotes the characters a flow mapping reserves (",[]{}").
std::string yaml_scalar(const std::string& value, bool in_flow = false);

/// [begin, end) byte offsets of a node's text in `text`: a scalar without its trailing comment, a
/// collection up to the end of its last descendant (closing bracket included for flow style).
struct TextSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
};
TextSpan node_span(const std::string& text, const YAML::Node& node, bool in_flow = false);

/// The text with the value at `key_path` set to `value` (a scalar, quoted as needed). A missing
/// key is added to its mapping (after the last key, in the mapping's style); missing parent
/// mappings are created. Throws TextEditError when the path runs through a scalar or a list
/// index that does not exist.
std::string set_value(const std::string& text, const std::string& key_path,
                      const std::string& value);

/// The text without the mapping key or list item at `key_path` (its whole lines in block style).
std::string remove_entry(const std::string& text, const std::string& key_path);

/// The text with a new item appended to the block list at `list_path`. `item_lines` are the
/// item's "key: value" lines as they would read at indentation 0 (nested lines indented by two
/// spaces each level). A missing list is created in its parent mapping.
std::string append_item(const std::string& text, const std::string& list_path,
                        const std::vector<std::string>& item_lines);

/// The key path of the list item or mapping key that `key_path` belongs to at `depth` parts, in
/// the parser's spelling ("workloads[0]"). Joins split_key_path() parts
/// (capsim/models/Scenario.hpp) back together.
std::string join_path(const std::vector<std::string>& parts, std::size_t count);

}  // namespace capsim::studio
