#include "ScenarioText.hpp"

#include <algorithm>
#include <cctype>

#include "capsim/models/Scenario.hpp"

namespace capsim::studio {
namespace {

bool is_index(const std::string& part) {
  return !part.empty() &&
         std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool is_flow(const YAML::Node& node) {
  return (node.IsMap() || node.IsSequence()) && node.Style() == YAML::EmitterStyle::Flow;
}

std::size_t line_begin(const std::string& text, std::size_t pos) {
  const auto newline = text.rfind('\n', pos == 0 ? 0 : pos - 1);
  return pos == 0 || newline == std::string::npos ? 0 : newline + 1;
}

// The offset of the '\n' ending the line that holds `pos` (text.size() on the last line).
std::size_t line_end(const std::string& text, std::size_t pos) {
  const auto newline = text.find('\n', pos);
  return newline == std::string::npos ? text.size() : newline;
}

std::size_t mark_pos(const YAML::Node& node) {
  const int pos = node.Mark().pos;
  if (pos < 0) throw TextEditError("the file has no position for this value");
  return static_cast<std::size_t>(pos);
}

// A null value written as nothing ("key:" with no value) has no text of its own.
bool is_empty_null(const std::string& text, const YAML::Node& node) {
  if (!node.IsNull()) return false;
  const int pos = node.Mark().pos;
  if (pos < 0 || static_cast<std::size_t>(pos) >= text.size()) return true;
  const char c = text[static_cast<std::size_t>(pos)];
  return c != '~' && c != 'n' && c != 'N';
}

std::size_t quoted_end(const std::string& text, std::size_t begin) {
  const char quote = text[begin];
  for (std::size_t i = begin + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is an escaped quote inside single quotes
      } else {
        return i + 1;
      }
    }
  }
  return text.size();
}

std::size_t scalar_end(const std::string& text, std::size_t begin, bool in_flow) {
  if (begin >= text.size()) return begin;
  if (text[begin] == '"' || text[begin] == '\'') return quoted_end(text, begin);
  if (text[begin] == '|' || text[begin] == '>') {  // block scalar: its more-indented lines
    const std::size_t start = line_begin(text, begin);
    std::size_t indent = 0;
    while (start + indent < text.size() && text[start + indent] == ' ') ++indent;
    std::size_t end = line_end(text, begin);
    while (end < text.size()) {
      const std::size_t next = end + 1;
      std::size_t spaces = 0;
      while (next + spaces < text.size() && text[next + spaces] == ' ') ++spaces;
      const bool blank = next + spaces >= text.size() || text[next + spaces] == '\n';
      if (!blank && spaces <= indent) break;
      end = line_end(text, next);
    }
    return end;
  }
  std::size_t end = begin;
  while (end < text.size() && text[end] != '\n') {
    if (text[end] == '#' && end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) break;
    if (in_flow && (text[end] == ',' || text[end] == ']' || text[end] == '}')) break;
    ++end;
  }
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return end;
}

// The closing bracket matching the one at `begin`, skipping quoted text.
std::size_t flow_end(const std::string& text, std::size_t begin) {
  int depth = 0;
  for (std::size_t i = begin; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      i = quoted_end(text, i) - 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return text.size();
}

// The end of a mapping entry: its value's end, or its key's when the value is written as nothing.
std::size_t entry_end(const std::string& text, const YAML::Node& key, const YAML::Node& value,
                      bool in_flow) {
  if (is_empty_null(text, value)) return node_span(text, key, in_flow).end;
  return node_span(text, value, in_flow).end;
}

std::string spaces(std::size_t count) { return std::string(count, ' '); }

// The '-' that starts block-list item `item`.
std::size_t dash_of(const std::string& text, const YAML::Node& item) {
  std::size_t pos = mark_pos(item);
  while (pos > 0 && text[pos - 1] == ' ') --pos;
  if (pos == 0 || text[pos - 1] != '-') throw TextEditError("list item without a '-'");
  return pos - 1;
}

// `value_lines` rendered as the value of a new key: one line stays on the key's line, several go
// below it, two spaces further in.
std::string key_text(const std::string& key, const std::vector<std::string>& value_lines,
                     std::size_t indent, bool block) {
  if (!block) return key + ": " + value_lines.front();
  std::string out = key + ":";
  for (const auto& line : value_lines) {
    out += "\n";
    out += spaces(indent + 2);
    out += line;
  }
  return out;
}

// Adds `key` to `map`; a `block` value goes on the lines below the key, one more level in.
std::string insert_key(const std::string& text, const YAML::Node& map, const std::string& key,
                       const std::vector<std::string>& value_lines, bool block) {
  if (is_flow(map)) {
    if (block) throw TextEditError("a nested value inside a flow mapping");
    const std::string entry = key + ": " + value_lines.front();
    std::string out = text;
    if (map.size() == 0) {
      out.insert(mark_pos(map) + 1, entry);
      return out;
    }
    YAML::const_iterator last;
    for (auto it = map.begin(); it != map.end(); ++it) last = it;
    out.insert(entry_end(text, last->first, last->second, true), ", " + entry);
    return out;
  }
  if (!map.IsMap() || map.size() == 0) throw TextEditError("not a mapping with keys");
  const std::size_t indent = static_cast<std::size_t>(map.begin()->first.Mark().column);
  YAML::const_iterator last;
  for (auto it = map.begin(); it != map.end(); ++it) last = it;
  const std::size_t at = line_end(text, entry_end(text, last->first, last->second, false));
  std::string out = text;
  out.insert(at, "\n" + spaces(indent) + key_text(key, value_lines, indent, block));
  return out;
}

// The lines of a value nested under keys parts[from..] ending in `leaf_lines`.
std::vector<std::string> nested_value(const std::vector<std::string>& parts, std::size_t from,
                                      const std::vector<std::string>& leaf_lines, bool block_leaf) {
  std::vector<std::string> lines = leaf_lines;
  for (std::size_t i = parts.size() - 1; i > from; --i) {
    if (is_index(parts[i])) throw TextEditError("list index " + parts[i] + " does not exist");
    std::vector<std::string> wrapped;
    const bool block = block_leaf && i == parts.size() - 1;
    if (lines.size() == 1 && !block) {
      wrapped.push_back(parts[i] + ": " + lines.front());
    } else {
      wrapped.push_back(parts[i] + ":");
      for (const auto& line : lines) wrapped.push_back("  " + line);
    }
    lines = wrapped;
  }
  return lines;
}

// Adds parts[...] = leaf_lines below the deepest existing mapping on the path.
// `block_leaf`: the leaf value is a block (a list) rather than a scalar.
std::string add_missing(const std::string& text, const YAML::Node& root,
                        const std::vector<std::string>& parts,
                        const std::vector<std::string>& leaf_lines, bool block_leaf) {
  std::size_t existing = parts.size() - 1;  // parts[0..existing) name an existing node
  while (existing > 0 && !find_node(root, join_path(parts, existing)).IsDefined()) --existing;
  const YAML::Node parent = existing == 0 ? root : find_node(root, join_path(parts, existing));
  if (!parent.IsMap()) {
    throw TextEditError(join_path(parts, existing) + " is not a mapping");
  }
  if (is_index(parts[existing])) throw TextEditError("list index does not exist");
  const std::vector<std::string> value = nested_value(parts, existing, leaf_lines, block_leaf);
  const bool block = block_leaf || existing + 1 < parts.size();
  return insert_key(text, parent, parts[existing], value, block);
}

}  // namespace

std::string join_path(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < parts.size(); ++i) {
    if (is_index(parts[i])) {
      out += "[" + parts[i] + "]";
    } else {
      if (!out.empty()) out += ".";
      out += parts[i];
    }
  }
  return out;
}

YAML::Node find_node(const YAML::Node& root, const std::string& key_path) {
  YAML::Node current = root;
  for (const auto& part : split_key_path(key_path)) {
    if (current.IsSequence() && is_index(part)) {
      const std::size_t index = std::stoul(part);
      if (index >= current.size()) return YAML::Node(YAML::NodeType::Undefined);
      YAML::Node next = current[index];
      current.reset(next);
    } else if (current.IsMap()) {
      YAML::Node found(YAML::NodeType::Undefined);
      for (auto it = current.begin(); it != current.end(); ++it) {
        if (it->first.Scalar() == part) {
          found.reset(it->second);
          break;
        }
      }
      if (!found.IsDefined()) return found;
      current.reset(found);
    } else {
      return YAML::Node(YAML::NodeType::Undefined);
    }
  }
  return current;
}

std::string yaml_scalar(const std::string& value, bool in_flow) {
  bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ';
  static const std::string kBadFirst = "-?:,[]{}#&*!|>'\"%@`";
  if (plain && kBadFirst.find(value.front()) != std::string::npos) {
    // "-5" and ":x" are fine to YAML only in some forms; a leading '-' of a number is plain.
    plain = value.front() == '-' && value.size() > 1 && std::isdigit(value[1]);
  }
  if (plain && (value.find(": ") != std::string::npos || value.find(" #") != std::string::npos ||
                value.find('\n') != std::string::npos || value.back() == ':')) {
    plain = false;
  }
  if (plain && in_flow && value.find_first_of(",[]{}") != std::string::npos) plain = false;
  if (plain) {
    // A plain scalar must read back as the same string.
    try {
      const YAML::Node parsed = YAML::Load(value);
      plain = parsed.IsScalar() && parsed.Scalar() == value;
    } catch (const YAML::Exception&) {
      plain = false;
    }
  }
  if (plain) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted += c;
  }
  return quoted + "\"";
}

TextSpan node_span(const std::string& text, const YAML::Node& node, bool in_flow) {
  const std::size_t begin = mark_pos(node);
  if (node.IsScalar() || node.IsNull()) return {begin, scalar_end(text, begin, in_flow)};
  if (is_flow(node)) return {begin, flow_end(text, begin)};
  std::size_t end = begin;
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      end = std::max(end, entry_end(text, it->first, it->second, false));
    }
  } else if (node.IsSequence()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      end = std::max(end, node_span(text, *it, false).end);
    }
  }
  return {begin, end};
}

std::string set_value(const std::string& text, const std::string& key_path,
                      const std::string& value) {
  const YAML::Node root = YAML::Load(text);
  const auto parts = split_key_path(key_path);
  if (parts.empty()) throw TextEditError("empty key path");
  const YAML::Node parent =
      parts.size() == 1 ? root : find_node(root, join_path(parts, parts.size() - 1));
  const bool in_flow = parent.IsDefined() && is_flow(parent);
  const YAML::Node node = find_node(root, key_path);
  if (!node.IsDefined())
    return add_missing(text, root, parts, {yaml_scalar(value, in_flow)}, false);
  if (node.IsMap() || node.IsSequence()) {
    throw TextEditError(key_path + " is a section, not a single value");
  }
  std::string out = text;
  if (is_empty_null(text, node)) {  // "key:" with nothing after it
    for (auto it = parent.begin(); it != parent.end(); ++it) {
      if (it->first.Scalar() != parts.back()) continue;
      const std::size_t after_key = node_span(text, it->first, in_flow).end;
      const std::size_t colon = text.find(':', after_key);
      out.insert(colon + 1, " " + yaml_scalar(value, in_flow));
      return out;
    }
    throw TextEditError(key_path + " has no key in the text");
  }
  const TextSpan span = node_span(text, node, in_flow);
  out.replace(span.begin, span.end - span.begin, yaml_scalar(value, in_flow));
  return out;
}

std::string remove_entry(const std::string& text, const std::string& key_path) {
  const YAML::Node root = YAML::Load(text);
  const auto parts = split_key_path(key_path);
  if (parts.empty()) throw TextEditError("empty key path");
  const YAML::Node parent =
      parts.size() == 1 ? root : find_node(root, join_path(parts, parts.size() - 1));
  const YAML::Node node = find_node(root, key_path);
  if (!node.IsDefined() || !parent.IsDefined()) throw TextEditError(key_path + " does not exist");
  std::string out = text;
  if (parent.IsSequence()) {
    if (parent.size() == 1 && parts.size() > 1) {  // the last item: drop the list's key too
      return remove_entry(text, join_path(parts, parts.size() - 1));
    }
    if (is_flow(parent)) throw TextEditError("removing from a flow list");
    const std::size_t dash = dash_of(text, node);
    const std::size_t begin = line_begin(text, dash);
    const std::size_t end = std::min(text.size(), line_end(text, node_span(text, node).end) + 1);
    out.erase(begin, end - begin);
    return out;
  }
  const bool flow = is_flow(parent);
  for (auto it = parent.begin(); it != parent.end(); ++it) {
    if (it->first.Scalar() != parts.back()) continue;
    const std::size_t key_begin = mark_pos(it->first);
    const std::size_t value_end = entry_end(text, it->first, it->second, flow);
    auto next = it;
    ++next;
    if (flow) {
      if (next != parent.end()) {
        out.erase(key_begin, mark_pos(next->first) - key_begin);
      } else {
        std::size_t begin = key_begin;
        while (begin > 0 && (text[begin - 1] == ' ' || text[begin - 1] == ',')) --begin;
        if (begin > 0 && text[begin - 1] == '{') begin = key_begin;
        out.erase(begin, value_end - begin);
      }
      return out;
    }
    const std::size_t begin = line_begin(text, key_begin);
    const bool alone = text.find_first_not_of(' ', begin) == key_begin;
    if (!alone) {  // "- name: x": the key shares its line with the list's dash
      if (next == parent.end()) throw TextEditError("removing an item's only key");
      out.erase(key_begin, mark_pos(next->first) - key_begin);
      return out;
    }
    const std::size_t end = std::min(text.size(), line_end(text, value_end) + 1);
    out.erase(begin, end - begin);
    return out;
  }
  throw TextEditError(key_path + " does not exist");
}

std::string append_item(const std::string& text, const std::string& list_path,
                        const std::vector<std::string>& item_lines) {
  if (item_lines.empty()) throw TextEditError("an empty item");
  const YAML::Node root = YAML::Load(text);
  const YAML::Node list = find_node(root, list_path);
  if (!list.IsDefined() || list.IsNull()) {
    std::vector<std::string> lines{"- " + item_lines.front()};
    for (std::size_t i = 1; i < item_lines.size(); ++i) lines.push_back("  " + item_lines[i]);
    const auto parts = split_key_path(list_path);
    if (list.IsDefined()) {  // "storage:" with nothing: replace the key
      std::string without = remove_entry(text, list_path);
      return add_missing(without, YAML::Load(without), parts, lines, true);
    }
    return add_missing(text, root, parts, lines, true);
  }
  if (!list.IsSequence() || is_flow(list) || list.size() == 0) {
    throw TextEditError(list_path + " is not a block list");
  }
  const std::size_t dash = dash_of(text, list[0]);
  const std::size_t indent = dash - line_begin(text, dash);
  const std::size_t at = line_end(text, node_span(text, list).end);
  std::string block = spaces(indent) + "- " + item_lines.front();
  for (std::size_t i = 1; i < item_lines.size(); ++i) {
    block += "\n";
    block += spaces(indent + 2);
    block += item_lines[i];
  }
  std::string out = text;
  if (at == text.size()) {
    out += (text.empty() || text.back() == '\n') ? block + "\n" : "\n" + block;
  } else {
    out.insert(at, "\n" + block);
  }
  return out;
}

}  // namespace capsim::studio
