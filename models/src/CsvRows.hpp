// Reading the published-measurement CSV files (shared/validation/*.csv): records split by
// RFC 4180 rules and named columns read with errors that give file, line and column.
#pragma once

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "capsim/models/Errors.hpp"

namespace capsim::csv {

// Splits one CSV record (RFC 4180 quoting) into fields.
inline std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

// 'value', built by appending: GCC 12 reports a false -Wrestrict on "'" + std::string.
inline std::string quoted(const std::string& value) {
  return std::string("'").append(value).append("'");
}

// Reads named columns of one row with errors that say file, line, column and what is expected.
class Row {
 public:
  Row(const std::vector<std::string>& header, std::vector<std::string> fields, std::string file,
      int line, std::string columns_hint)
      : header_(header),
        fields_(std::move(fields)),
        file_(std::move(file)),
        line_(line),
        columns_hint_(std::move(columns_hint)) {}

  std::string text(const std::string& column) const { return fields_.at(index(column)); }

  std::optional<double> optional_number(const std::string& column) const {
    const std::string& value = fields_.at(index(column));
    if (value.empty()) return std::nullopt;
    double number = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || end != value.data() + value.size() || !std::isfinite(number)) {
      fail(column, quoted(value) + " is not a number", "a number");
    }
    return number;
  }
  double number(const std::string& column) const {
    auto value = optional_number(column);
    if (!value) fail(column, "is blank", "a value");
    return *value;
  }
  std::optional<int> optional_count(const std::string& column, int minimum) const {
    auto value = optional_number(column);
    if (!value) return std::nullopt;
    if (*value != std::floor(*value) || *value < minimum || *value > 1e9) {
      fail(column, quoted(text(column)) + " is not a whole number >= " + std::to_string(minimum),
           "a whole number >= " + std::to_string(minimum));
    }
    return static_cast<int>(*value);
  }
  int count(const std::string& column, int minimum = 1) const {
    auto value = optional_count(column, minimum);
    if (!value) fail(column, "is blank", "a whole number >= " + std::to_string(minimum));
    return *value;
  }
  std::string choice(const std::string& column, const std::vector<std::string>& allowed,
                     bool blank_ok = false) const {
    const std::string value = text(column);
    if (value.empty() && blank_ok) return value;
    for (const auto& option : allowed) {
      if (value == option) return value;
    }
    std::string list;
    for (const auto& option : allowed) list += (list.empty() ? "" : ", ") + option;
    fail(column, quoted(value) + " is not a known value", "one of: " + list);
  }
  bool has(const std::string& column) const {
    for (const auto& name : header_) {
      if (name == column) return true;
    }
    return false;
  }
  [[noreturn]] void fail(const std::string& column, const std::string& problem,
                         const std::string& expected) const {
    throw InputError(SourceLocation{file_, line_, static_cast<int>(index(column)) + 1}, column,
                     problem, expected);
  }

 private:
  std::size_t index(const std::string& column) const {
    for (std::size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == column) return i;
    }
    throw InputError(SourceLocation{file_, 1, 0}, column, "column is missing", columns_hint_);
  }

  const std::vector<std::string>& header_;
  std::vector<std::string> fields_;
  std::string file_;
  int line_;
  std::string columns_hint_;
};

/// Reads every record of a CSV file: the header, then one Row per non-blank line (with the
/// file's line numbers). Throws InputError for a record with the wrong number of fields or a
/// file without rows; `columns_hint` names the expected format in messages.
template <typename Parse>
void for_each_row(const std::string& path, const std::string& text, const std::string& columns_hint,
                  Parse parse) {
  std::vector<std::string> header;
  std::size_t start = 0;
  int line = 0, rows = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string record = text.substr(start, end - start);
    start = end + 1;
    ++line;
    if (record.empty() || record == "\r") continue;
    if (header.empty()) {
      header = split_csv(record);
      continue;
    }
    auto fields = split_csv(record);
    if (fields.size() != header.size()) {
      throw InputError(SourceLocation{path, line, 0}, "",
                       "has " + std::to_string(fields.size()) + " fields",
                       std::to_string(header.size()) + " fields, as in the header");
    }
    parse(Row(header, std::move(fields), path, line, columns_hint), line);
    ++rows;
  }
  if (rows == 0) {
    throw InputError(SourceLocation{path, 0, 0}, "", "has no rows",
                     "a header line and at least one row (" + columns_hint + ")");
  }
}

}  // namespace capsim::csv
