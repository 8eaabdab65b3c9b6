#include "TextTable.hpp"

#include <algorithm>

namespace capsim::cli {

void TextTable::print(std::ostream& out, const std::string& indent) const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line = indent;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

void TextTable::print_markdown(std::ostream& out) const {
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    out << "|";
    for (const auto& cell : rows_[r]) out << " " << cell << " |";
    out << "\n";
    if (r == 0) {
      out << "|";
      for (std::size_t i = 0; i < rows_[r].size(); ++i) out << "---|";
      out << "\n";
    }
  }
}

}  // namespace capsim::cli
