#include <sstream>

#include "Commands.hpp"
#include "Comparison.hpp"
#include "TextTable.hpp"

namespace capsim::cli {
namespace {

// A comparison table as text or Markdown: the title row, then one row per figure.
void print_table(const CompareTable& table, const std::string& first_label, bool markdown,
                 std::ostream& out) {
  std::vector<std::string> header = {first_label};
  for (const auto& column : table.columns) header.push_back(column.title);
  TextTable text(header);
  for (std::size_t row = 0; row < table.rows.size(); ++row) {
    std::vector<std::string> cells = {table.rows[row].label};
    for (const auto& column : table.columns) cells.push_back(column.cells[row].text);
    text.add_row(cells);
  }
  if (markdown) {
    text.print_markdown(out);
  } else {
    text.print(out);
  }
}

void print_text(const Comparison& comparison, bool markdown, std::ostream& out) {
  bool first = true;
  if (!comparison.training.columns.empty()) {
    print_table(comparison.training, "scenario/workload", markdown, out);
    first = false;
  }
  if (!comparison.services.columns.empty()) {
    if (!first) out << "\n";
    print_table(comparison.services, "scenario/service", markdown, out);
  }
  for (const auto& result : comparison.results) {
    if (result.targets_met) continue;
    out << "\n" << result.scenario << " (" << result.file << ") misses a target:";
    for (const auto& target : result.targets) out << "\n  " << target;
    out << "\n";
  }
}

}  // namespace

int compare_command(const CompareArgs& args, std::ostream& out) {
  const Comparison comparison = read_comparison(args.results);
  std::ostringstream text;
  if (args.format == "html") {
    write_comparison_html(comparison, text);
  } else {
    print_text(comparison, args.format == "md", text);
  }
  if (args.out.empty()) {
    out << text.str();
  } else {
    write_output_file(args.out, text.str());
  }
  return comparison.targets_met() ? 0 : 1;
}

}  // namespace capsim::cli
