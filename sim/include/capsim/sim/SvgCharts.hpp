// Inline SVG charts for the HTML reports (report.html, `capsim compare --format html`): horizontal
// bars, one stacked bar against a capacity, and a line or step chart. Each returns a complete <svg>
// element with no script and no external reference, so the report stays one self-contained file.
// Every drawn mark carries its value in a data-value attribute (what tests and scrapers read back).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace capsim {

/// Text made safe for HTML element content and attribute values (& < > " ').
std::string html_escape(const std::string& text);

/// One bar or one segment: its label, its value in the chart's unit, and the value as shown.
struct ChartBar {
  std::string label;
  double value = 0;
  std::string value_text;
};

/// One bar per entry, lengths proportional to value (the longest spans the plot).
std::string horizontal_bars_svg(const std::vector<ChartBar>& bars);

/// The parts side by side in one bar, scaled so that max(sum, capacity) spans the plot, with a
/// marker at `capacity` labelled `capacity_text` (no marker when capacity <= 0).
std::string stacked_bar_svg(const std::vector<ChartBar>& parts, double capacity,
                            const std::string& capacity_text);

/// A series of (x, y) points.
struct LineChart {
  std::vector<double> x, y;
  std::string x_label, y_label;
  bool step = false;       ///< hold each y until the next x (replicas over time)
  double reference_y = 0;  ///< a dashed horizontal line, when reference_label is set
  std::string reference_label;
  std::function<std::string(double)> format_y;  ///< tick labels of the y axis
  std::function<std::string(double)> format_x;  ///< tick labels of the x axis
};

/// The series as a polyline with axes and ticks at round values; y starts at 0.
std::string line_chart_svg(const LineChart& chart);

}  // namespace capsim
