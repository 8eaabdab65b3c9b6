#include "CompareView.hpp"

#include <QBuffer>
#include <QChartView>
#include <QFile>
#include <QFileInfo>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTableWidget>
#include <QTextDocument>
#include <QVBoxLayout>

#include "Format.hpp"
#include "ResultCharts.hpp"

namespace capsim::studio {
namespace {

QString format_value(double value, int kind) {
  if (kind < 0) return format_percent(value);
  return format_si(value, static_cast<Quantity>(kind));
}

QString difference(double value, double first) {
  if (first == 0) return QStringLiteral("—");
  const double change = (value - first) / first * 100;
  return QStringLiteral("%1%2%").arg(change >= 0 ? "+" : "").arg(change, 0, 'f', 1);
}

double sum(const std::vector<ClusterResult>& clusters, double ClusterResult::*field) {
  double total = 0;
  for (const auto& cluster : clusters) total += cluster.*field;
  return total;
}

}  // namespace

std::vector<CompareRow> compare_rows(const std::vector<RunRecord>& runs) {
  auto first = [](const RunRecord& run) {
    return run.workloads.empty() ? WorkloadResult{} : run.workloads.front();
  };
  std::vector<CompareRow> rows{
      {"iteration time", {}, static_cast<int>(Quantity::Time), true},
      {"tokens per second", {}, static_cast<int>(Quantity::Count), false},
      {"MFU", {}, -1, false},
      {"time to train", {}, static_cast<int>(Quantity::Time), true},
      {"run cost (headline)", {}, static_cast<int>(Quantity::Money), true},
      {"GPUs", {}, static_cast<int>(Quantity::Count), true},
      {"capex", {}, static_cast<int>(Quantity::Money), true},
      {"owned cost per hour", {}, static_cast<int>(Quantity::Money), true},
      {"facility power", {}, static_cast<int>(Quantity::Power), true},
      {"simulated iteration", {}, static_cast<int>(Quantity::Time), true},
  };
  for (const auto& run : runs) {
    const WorkloadResult job = first(run);
    double gpus = 0;
    for (const auto& cluster : run.clusters) gpus += cluster.gpus;
    rows[0].values.push_back(job.iteration_s);
    rows[1].values.push_back(job.tokens_per_s);
    rows[2].values.push_back(job.mfu);
    rows[3].values.push_back(job.time_to_train_s);
    rows[4].values.push_back(run.workloads.empty() ? 0 : run.headline_cost(0));
    rows[5].values.push_back(gpus);
    rows[6].values.push_back(sum(run.clusters, &ClusterResult::capex_usd));
    rows[7].values.push_back(sum(run.clusters, &ClusterResult::owned_usd_per_h));
    rows[8].values.push_back(sum(run.clusters, &ClusterResult::facility_power_W));
    rows[9].values.push_back(job.simulated ? job.simulated_iteration_s : 0);
  }
  return rows;
}

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  title_ = new QLabel(tr("Select two or more runs in the Runs panel and press Compare selected."));
  layout->addWidget(title_);
  table_ = new QTableWidget;
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->setMinimumHeight(230);
  layout->addWidget(table_);
  charts_ = new QGridLayout;
  layout->addLayout(charts_, 1);
}

void CompareView::showRuns(const std::vector<RunRecord>& runs) {
  runs_ = runs;
  title_->setText(tr("Comparing %1 runs; differences are against %2 (first workload of each).")
                      .arg(runs.size())
                      .arg(runs.empty() ? QString() : runs.front().label()));
  const auto rows = compare_rows(runs);
  table_->clear();
  const int n = static_cast<int>(runs.size());
  table_->setColumnCount(n == 0 ? 0 : 2 * n - 1);
  table_->setRowCount(static_cast<int>(rows.size()));
  QStringList headers;
  for (int i = 0; i < n; ++i) {
    headers << runs[static_cast<std::size_t>(i)].label();
    if (i > 0) headers << tr("Δ vs #%1").arg(runs.front().number);
  }
  table_->setHorizontalHeaderLabels(headers);
  QStringList labels;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    labels << rows[r].label;
    int column = 0;
    for (int i = 0; i < n; ++i) {
      const double value = rows[r].values[static_cast<std::size_t>(i)];
      auto* cell = new QTableWidgetItem(format_value(value, rows[r].kind));
      cell->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      table_->setItem(static_cast<int>(r), column++, cell);
      if (i == 0) continue;
      const double base = rows[r].values.front();
      auto* delta = new QTableWidgetItem(difference(value, base));
      delta->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      const bool better = rows[r].lower_is_better ? value < base : value > base;
      if (value != base && base != 0)
        delta->setForeground(better ? QColor(30, 130, 60) : QColor(180, 40, 40));
      table_->setItem(static_cast<int>(r), column++, delta);
    }
  }
  table_->setVerticalHeaderLabels(labels);
  while (QLayoutItem* item = charts_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  QStringList names;
  std::vector<TimeShares> shares;
  std::vector<WorkloadResult> jobs;
  std::vector<double> owned, rented;
  for (const auto& run : runs) {
    names << QStringLiteral("#%1 %2").arg(run.number).arg(run.scenario_name);
    const WorkloadResult job = run.workloads.empty() ? WorkloadResult{} : run.workloads.front();
    shares.push_back(job.breakdown);
    jobs.push_back(job);
    owned.push_back(job.owned_usd);
    rented.push_back(job.rented_usd.value_or(0));
  }
  charts_->addWidget(breakdown_chart(names, shares), 0, 0);
  charts_->addWidget(cost_chart(names, owned, rented), 0, 1);
  charts_->addWidget(utilisation_chart(names, jobs), 0, 2);
}

QString CompareView::tableHtml() const {
  const auto rows = compare_rows(runs_);
  QString html =
      "<table border='1' cellspacing='0' cellpadding='4' style='border-collapse:collapse'>"
      "<tr style='background:#e8edf3'><th align='left'>figure</th>";
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    html += "<th>" + runs_[i].label().toHtmlEscaped() + "</th>";
    if (i > 0) html += "<th>Δ</th>";
  }
  html += "</tr>";
  for (const auto& row : rows) {
    html += "<tr><td>" + row.label + "</td>";
    for (std::size_t i = 0; i < row.values.size(); ++i) {
      html += "<td align='right'>" + format_value(row.values[i], row.kind) + "</td>";
      if (i > 0)
        html += "<td align='right'>" + difference(row.values[i], row.values.front()) + "</td>";
    }
    html += "</tr>";
  }
  return html + "</table>";
}

std::vector<QImage> CompareView::chartImages() const {
  std::vector<QImage> images;
  for (int i = 0; i < charts_->count(); ++i) {
    if (auto* view = qobject_cast<QChartView*>(charts_->itemAt(i)->widget())) {
      QImage image(QSize(560, 340), QImage::Format_ARGB32);
      image.fill(Qt::white);
      QPainter painter(&image);
      view->render(&painter, QRectF(0, 0, 560, 340));
      images.push_back(image);
    }
  }
  return images;
}

QString CompareView::html() const {
  QString html =
      "<!DOCTYPE html><html><head><meta charset='utf-8'><title>capsim comparison</title>"
      "<style>body{font-family:sans-serif;margin:24px;color:#222}"
      "td,th{font-size:13px}</style></head><body><h1>capsim comparison</h1>";
  html += "<p>" + QString::number(runs_.size()) + " runs; Δ is the change from " +
          (runs_.empty() ? QString() : runs_.front().label().toHtmlEscaped()) +
          " (first workload of each run).</p>";
  html += tableHtml();
  for (const QImage& image : chartImages()) {
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    html += "<p><img alt='chart' src='data:image/png;base64," +
            QString::fromLatin1(png.toBase64()) + "'></p>";
  }
  return html + "</body></html>";
}

bool CompareView::exportHtml(const QString& path, QString* error) const {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly)) {
    if (error) *error = file.errorString();
    return false;
  }
  file.write(html().toUtf8());
  if (!file.commit()) {
    if (error) *error = file.errorString();
    return false;
  }
  return true;
}

bool CompareView::exportPdf(const QString& path, QString* error) const {
  // QTextDocument reads the same HTML; the charts go in as image resources.
  QTextDocument document;
  QString body = "<h1>capsim comparison</h1>" + tableHtml();
  const auto images = chartImages();
  for (std::size_t i = 0; i < images.size(); ++i) {
    const QUrl name(QStringLiteral("chart%1.png").arg(i));
    document.addResource(QTextDocument::ImageResource, name, images[i]);
    body += "<p><img src='" + name.toString() + "' width='480'></p>";
  }
  document.setHtml(body);
  QPdfWriter writer(path);
  writer.setPageSize(QPageSize(QPageSize::A4));
  writer.setTitle("capsim comparison");
  document.print(&writer);
  if (!QFile::exists(path) || QFileInfo(path).size() == 0) {
    if (error) *error = QObject::tr("cannot write %1").arg(path);
    return false;
  }
  return true;
}

}  // namespace capsim::studio
