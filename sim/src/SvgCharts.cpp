#include "capsim/sim/SvgCharts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace capsim {
namespace {

constexpr double kWidth = 760;
constexpr double kLabelWidth = 270;  // bar labels, left of the plot
constexpr double kPlotWidth = 380;
constexpr double kBarHeight = 18;
constexpr double kBarGap = 6;
// Colour-blind-safe palette (Okabe and Ito), repeated past eight parts.
const char* const kColours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                "#56B4E9", "#D55E00", "#F0E442", "#000000"};

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

// A value as written in data-value: enough digits to read it back exactly.
std::string exact(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// A bar label that fits left of the plot: long ones keep their start and end around "...",
// and the whole label is the bar's tooltip.
constexpr std::size_t kLongestLabel = 40;
std::string shortened(const std::string& label) {
  if (label.size() <= kLongestLabel) return label;
  return label.substr(0, 24) + "..." + label.substr(label.size() - 13);
}

const char* colour(std::size_t index) { return kColours[index % std::size(kColours)]; }

std::string svg_open(double height) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(kWidth) + "\" height=\"" +
         number(height) + "\" viewBox=\"0 0 " + number(kWidth) + " " + number(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">";
}

std::string text_at(double x, double y, const std::string& text, const char* anchor = "start") {
  return "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\" text-anchor=\"" + anchor + "\">" +
         html_escape(text) + "</text>";
}

// Round tick step covering [0, top] in about five steps: 1, 2 or 5 times a power of ten.
double tick_step(double top) {
  if (top <= 0) return 1;
  const double raw = top / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * magnitude >= raw) return factor * magnitude;
  }
  return 10 * magnitude;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string horizontal_bars_svg(const std::vector<ChartBar>& bars) {
  double longest = 0;
  for (const auto& bar : bars) longest = std::max(longest, bar.value);
  const double height = bars.size() * (kBarHeight + kBarGap) + kBarGap;
  std::string svg = svg_open(height);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const ChartBar& bar = bars[i];
    const double y = kBarGap + i * (kBarHeight + kBarGap);
    const double width = longest > 0 ? std::max(0.0, bar.value) / longest * kPlotWidth : 0;
    svg += "<g>" +
           (bar.label.size() > kLongestLabel ? "<title>" + html_escape(bar.label) + "</title>"
                                             : std::string()) +
           text_at(kLabelWidth - 8, y + kBarHeight - 5, shortened(bar.label), "end") + "</g>";
    svg += "<rect class=\"bar\" x=\"" + number(kLabelWidth) + "\" y=\"" + number(y) +
           "\" width=\"" + number(width) + "\" height=\"" + number(kBarHeight) + "\" fill=\"" +
           colour(i) + "\" data-label=\"" + html_escape(bar.label) + "\" data-value=\"" +
           exact(bar.value) + "\"/>";
    svg += text_at(kLabelWidth + width + 6, y + kBarHeight - 5, bar.value_text);
  }
  return svg + "</svg>";
}

std::string stacked_bar_svg(const std::vector<ChartBar>& parts, double capacity,
                            const std::string& capacity_text) {
  double sum = 0;
  for (const auto& part : parts) sum += std::max(0.0, part.value);
  const double span = std::max(sum, capacity);
  const double scale = span > 0 ? (kWidth - 40) / span : 0;
  const double bar_y = 22;
  const double legend_y = bar_y + 2 * kBarHeight + 8;
  const double height = legend_y + parts.size() * 18 + 4;
  std::string svg = svg_open(height);
  double x = 20;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const double width = std::max(0.0, parts[i].value) * scale;
    svg += "<rect class=\"segment\" x=\"" + number(x) + "\" y=\"" + number(bar_y) + "\" width=\"" +
           number(width) + "\" height=\"" + number(2 * kBarHeight) + "\" fill=\"" + colour(i) +
           "\" data-label=\"" + html_escape(parts[i].label) + "\" data-value=\"" +
           exact(parts[i].value) + "\"/>";
    x += width;
    const double row = legend_y + i * 18;
    svg += "<rect x=\"20\" y=\"" + number(row) + "\" width=\"12\" height=\"12\" fill=\"" +
           colour(i) + "\"/>";
    svg += text_at(38, row + 10, parts[i].label + ": " + parts[i].value_text);
  }
  if (capacity > 0) {
    const double marker = 20 + capacity * scale;
    svg += "<line class=\"capacity\" x1=\"" + number(marker) + "\" y1=\"" + number(bar_y - 6) +
           "\" x2=\"" + number(marker) + "\" y2=\"" + number(bar_y + 2 * kBarHeight + 4) +
           "\" stroke=\"#000\" stroke-width=\"2\" data-value=\"" + exact(capacity) + "\"/>";
    svg += text_at(std::min(marker, kWidth - 20), bar_y - 9, capacity_text,
                   marker > kWidth / 2 ? "end" : "start");
  }
  return svg + "</svg>";
}

std::string line_chart_svg(const LineChart& chart) {
  constexpr double kLeft = 80, kRight = 20, kTop = 14, kBottom = 44, kHeight = 240;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const std::size_t n = std::min(chart.x.size(), chart.y.size());
  double x_min = n ? chart.x.front() : 0, x_max = n ? chart.x.front() : 1, y_max = 0;
  for (std::size_t i = 0; i < n; ++i) {
    x_min = std::min(x_min, chart.x[i]);
    x_max = std::max(x_max, chart.x[i]);
    y_max = std::max(y_max, chart.y[i]);
  }
  if (!chart.reference_label.empty()) y_max = std::max(y_max, chart.reference_y);
  if (x_max <= x_min) x_max = x_min + 1;
  const double y_step = tick_step(y_max > 0 ? y_max : 1);
  const double y_top = std::max(y_step, std::ceil(y_max / y_step) * y_step);
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - y / y_top * plot_h; };

  std::string svg = svg_open(kHeight);
  svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + number(kTop + plot_h) + "\" x2=\"" +
         number(kLeft + plot_w) + "\" y2=\"" + number(kTop + plot_h) + "\" stroke=\"#444\"/>";
  svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + number(kTop) + "\" x2=\"" + number(kLeft) +
         "\" y2=\"" + number(kTop + plot_h) + "\" stroke=\"#444\"/>";
  for (double y = 0; y <= y_top * (1 + 1e-9); y += y_step) {
    svg += "<line x1=\"" + number(kLeft) + "\" y1=\"" + number(py(y)) + "\" x2=\"" +
           number(kLeft + plot_w) + "\" y2=\"" + number(py(y)) + "\" stroke=\"#ddd\"/>";
    svg += text_at(kLeft - 6, py(y) + 4, chart.format_y ? chart.format_y(y) : number(y), "end");
  }
  const double x_step = tick_step(x_max - x_min);
  for (double x = std::ceil(x_min / x_step) * x_step; x <= x_max * (1 + 1e-9); x += x_step) {
    svg += text_at(px(x), kTop + plot_h + 16, chart.format_x ? chart.format_x(x) : number(x),
                   "middle");
  }
  svg += text_at(kLeft + plot_w / 2, kHeight - 8, chart.x_label, "middle");
  svg += "<text x=\"14\" y=\"" + number(kTop + plot_h / 2) + "\" text-anchor=\"middle\" " +
         "transform=\"rotate(-90 14 " + number(kTop + plot_h / 2) + ")\">" +
         html_escape(chart.y_label) + "</text>";
  if (!chart.reference_label.empty()) {
    svg += "<line class=\"reference\" x1=\"" + number(kLeft) + "\" y1=\"" +
           number(py(chart.reference_y)) + "\" x2=\"" + number(kLeft + plot_w) + "\" y2=\"" +
           number(py(chart.reference_y)) +
           "\" stroke=\"#D55E00\" stroke-dasharray=\"6 4\" data-value=\"" +
           exact(chart.reference_y) + "\"/>";
    svg += text_at(kLeft + plot_w - 4, py(chart.reference_y) - 5, chart.reference_label, "end");
  }
  std::ostringstream points;
  for (std::size_t i = 0; i < n; ++i) {
    if (chart.step && i > 0)
      points << number(px(chart.x[i])) << "," << number(py(chart.y[i - 1])) << " ";
    points << number(px(chart.x[i])) << "," << number(py(chart.y[i])) << " ";
  }
  svg +=
      "<polyline class=\"series\" fill=\"none\" stroke=\"#0072B2\" stroke-width=\"1.5\" "
      "points=\"" +
      points.str() + "\" data-count=\"" + std::to_string(n) + "\"/>";
  return svg + "</svg>";
}

}  // namespace capsim
