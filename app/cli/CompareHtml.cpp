// `capsim compare --format html`: the comparison as one self-contained page for people who do not
// read tables of numbers: each figure beside the first column's with its change, a bar chart per
// question (time, cost, power, latency), every result's targets, and the sources of the figures.
#include <cmath>
#include <cstdio>
#include <set>

#include "Comparison.hpp"
#include "capsim/sim/SvgCharts.hpp"

namespace capsim::cli {
namespace {

const char* const kStyle =
    "body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}"
    "h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em}"
    "th{background:#f3f3f3;text-align:left}td{text-align:right}td.text{text-align:left}"
    ".better{color:#1a7f37}.worse{color:#b00}.missed{color:#b00;font-weight:bold}"
    "figure{margin:.5em 0 1.5em 0}figcaption{color:#555;font-size:.9em}";

// "+12.3%" from `first` to `value`, classed better or worse by the row's direction.
std::string change_cell(const CompareRow& row, const CompareCell& cell, const CompareCell& first) {
  if (!cell.value || !first.value || *first.value == 0) return "<td></td>";
  const double change = (*cell.value - *first.value) / std::fabs(*first.value);
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f%%", 100 * change);
  const bool better = row.higher_is_better ? change > 0 : change < 0;
  const char* css = std::fabs(change) < 5e-4 ? ""
                    : better                 ? " class=\"better\""
                                             : " class=\"worse\"";
  return std::string("<td") + css + ">" + text + "</td>";
}

void table_html(const CompareTable& table, std::ostream& out) {
  out << "<table><tr><th></th>";
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    out << "<th>" << html_escape(table.columns[c].title) << "</th>";
    if (c > 0) out << "<th>change</th>";
  }
  out << "</tr>";
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const CompareRow& row = table.rows[r];
    out << "<tr><th>" << html_escape(row.label) << "</th>";
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      const CompareCell& cell = table.columns[c].cells[r];
      out << "<td" << (row.text_only ? " class=\"text\"" : "") << ">" << html_escape(cell.text)
          << "</td>";
      if (c > 0) {
        out << (row.text_only ? "<td></td>"
                              : change_cell(row, cell, table.columns.front().cells[r]));
      }
    }
    out << "</tr>";
  }
  out << "</table>\n";
}

void charts_html(const CompareTable& table, const std::string& id_prefix, std::ostream& out) {
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const CompareRow& row = table.rows[r];
    if (!row.charted) continue;
    std::vector<ChartBar> bars;
    for (const auto& column : table.columns) {
      const CompareCell& cell = column.cells[r];
      if (cell.value) bars.push_back({column.title, *cell.value, cell.text});
    }
    if (bars.size() < 2) continue;  // nothing to compare
    out << "<figure id=\"" << id_prefix << r << "\">" << horizontal_bars_svg(bars) << "<figcaption>"
        << html_escape(row.label) << " ("
        << (row.higher_is_better ? "longer is better" : "shorter is better")
        << ").</figcaption></figure>\n";
  }
}

void section_html(const CompareTable& table, const std::string& id_prefix, std::ostream& out) {
  if (table.columns.empty()) return;
  out << "<h2>" << html_escape(table.heading) << "</h2>\n";
  table_html(table, out);
  charts_html(table, id_prefix, out);
}

}  // namespace

void write_comparison_html(const Comparison& comparison, std::ostream& out) {
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>capsim "
         "comparison</title><style>"
      << kStyle << "</style></head><body>\n<h1>Comparison of " << comparison.results.size()
      << " results</h1>\n<p>Changes are from the first column";
  if (!comparison.training.columns.empty() || !comparison.services.columns.empty()) {
    out << " ("
        << html_escape(!comparison.training.columns.empty()
                           ? comparison.training.columns.front().title
                           : comparison.services.columns.front().title)
        << ")";
  }
  out << "; green is better, red is worse.</p>\n";
  section_html(comparison.training, "training-", out);
  section_html(comparison.services, "services-", out);

  out << "<h2>Targets</h2><ul>";
  for (const auto& result : comparison.results) {
    out << "<li><b>" << html_escape(result.scenario) << "</b> (" << html_escape(result.file)
        << "): ";
    if (result.targets.empty()) out << "no targets";
    for (std::size_t i = 0; i < result.targets.size(); ++i) {
      const bool missed = result.targets[i].find("MISSED") != std::string::npos;
      out << (i ? "; " : "") << (missed ? "<span class=\"missed\">" : "")
          << html_escape(result.targets[i]) << (missed ? "</span>" : "");
    }
    out << "</li>";
  }
  out << "</ul>\n<h2>Sources</h2><ul>";
  std::set<std::string> listed;
  for (const auto& result : comparison.results) {
    for (const auto& source : result.sources) {
      if (listed.insert(source).second) out << "<li>" << html_escape(source) << "</li>";
    }
  }
  out << "</ul>\n</body></html>\n";
}

}  // namespace capsim::cli
