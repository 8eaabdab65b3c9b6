#include "ResultCharts.hpp"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QHorizontalStackedBarSeries>
#include <QLineSeries>
#include <QValueAxis>
#include <algorithm>

namespace capsim::studio {
namespace {

QChartView* view_of(QChart* chart, const QString& title) {
  chart->setTitle(title);
  chart->setAnimationOptions(QChart::NoAnimation);
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(4, 4, 4, 4));
  auto* view = new QChartView(chart);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumHeight(220);
  return view;
}

// A bar chart of `series` with one category per column and a value axis titled `value_title`;
// horizontal bars put the categories on the left. Returns the value axis for its range.
QValueAxis* bar_axes(QChart* chart, QAbstractBarSeries* series, const QStringList& columns,
                     const QString& value_title, bool horizontal) {
  chart->addSeries(series);
  auto* categories = new QBarCategoryAxis;
  categories->append(columns);
  chart->addAxis(categories, horizontal ? Qt::AlignLeft : Qt::AlignBottom);
  series->attachAxis(categories);
  auto* values = new QValueAxis;
  values->setTitleText(value_title);
  values->setLabelFormat("%.3g");
  chart->addAxis(values, horizontal ? Qt::AlignBottom : Qt::AlignLeft);
  series->attachAxis(values);
  return values;
}

const QColor kPalette[] = {{46, 104, 178},  {22, 138, 128}, {120, 72, 170},
                           {196, 128, 24},  {200, 70, 70},  {90, 160, 60},
                           {150, 150, 160}, {60, 60, 70},   {230, 170, 40}};

}  // namespace

QChartView* breakdown_chart(const QStringList& columns, const std::vector<TimeShares>& shares) {
  auto* series = new QHorizontalStackedBarSeries;
  if (!shares.empty()) {
    for (std::size_t k = 0; k < shares.front().size(); ++k) {
      bool any = false;
      for (const auto& column : shares) any = any || (k < column.size() && column[k].second > 0);
      if (!any) continue;  // a kind of time no column has
      auto* set = new QBarSet(shares.front()[k].first);
      set->setColor(kPalette[k % std::size(kPalette)]);
      for (const auto& column : shares) *set << (k < column.size() ? column[k].second : 0.0);
      series->append(set);
    }
  }
  auto* chart = new QChart;
  bar_axes(chart, series, columns, "seconds per iteration", true);
  return view_of(chart, "Where an iteration's time goes");
}

QChartView* utilisation_chart(const QStringList& columns, const std::vector<WorkloadResult>& jobs) {
  auto* series = new QBarSeries;
  auto* mfu = new QBarSet("MFU");
  auto* hfu = new QBarSet("HFU");
  auto* memory = new QBarSet("GPU memory used");
  mfu->setColor(kPalette[0]);
  hfu->setColor(kPalette[1]);
  memory->setColor(kPalette[3]);
  for (const auto& job : jobs) {
    double used = 0;
    for (const auto& [label, bytes] : job.memory_bytes) used += bytes;
    *mfu << job.mfu * 100;
    *hfu << job.hfu * 100;
    *memory << (job.memory_capacity_bytes > 0 ? used / job.memory_capacity_bytes * 100 : 0);
  }
  series->append({mfu, hfu, memory});
  auto* chart = new QChart;
  bar_axes(chart, series, columns, "%", false)->setRange(0, 100);
  return view_of(chart, "Utilisation");
}

QChartView* iteration_chart(const QStringList& columns, const std::vector<WorkloadResult>& jobs) {
  auto* chart = new QChart;
  double low = 1e300, high = 0;
  int longest = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].iteration_times_s.empty()) continue;
    auto* line = new QLineSeries;
    line->setName(columns.value(static_cast<int>(i)));
    line->setColor(kPalette[i % std::size(kPalette)]);
    const auto& times = jobs[i].iteration_times_s;
    for (std::size_t k = 0; k < times.size(); ++k) {
      line->append(static_cast<double>(k + 1), times[k]);
      low = std::min(low, times[k]);
      high = std::max(high, times[k]);
    }
    longest = std::max(longest, static_cast<int>(times.size()));
    chart->addSeries(line);
  }
  if (longest == 0) {
    chart->setTitle("Iteration times");
    auto* view = view_of(chart, "Iteration times: run with fidelity simulate to see their spread");
    return view;
  }
  auto* x = new QValueAxis;
  x->setRange(1, std::max(2, longest));
  x->setTitleText("iteration");
  x->setLabelFormat("%d");
  auto* y = new QValueAxis;
  y->setRange(low * 0.98, high * 1.02);
  y->setTitleText("seconds");
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (auto* series : chart->series()) {
    series->attachAxis(x);
    series->attachAxis(y);
  }
  return view_of(chart, "Simulated iteration times (latency of each step)");
}

QChartView* cost_chart(const QStringList& columns, const std::vector<double>& owned_usd,
                       const std::vector<double>& rented_usd) {
  auto* series = new QBarSeries;
  auto* owned = new QBarSet("owned");
  auto* rented = new QBarSet("rented");
  owned->setColor(kPalette[1]);
  rented->setColor(kPalette[3]);
  for (double v : owned_usd) *owned << v;
  for (double v : rented_usd) *rented << v;
  series->append({owned, rented});
  auto* chart = new QChart;
  bar_axes(chart, series, columns, "USD per run", false);
  return view_of(chart, "Cost of the run");
}

}  // namespace capsim::studio
