// A plain-text table with aligned columns, for terminal output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace capsim::cli {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// Prints with two spaces between columns; the first column left-aligned, others too.
  void print(std::ostream& out, const std::string& indent = "") const;
  /// Prints as a Markdown table.
  void print_markdown(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace capsim::cli
