#include "ResultsView.hpp"

#include <QChartView>
#include <QGridLayout>
#include <QLabel>
#include <QScrollArea>
#include <QTextDocument>
#include <QVBoxLayout>

#include "Format.hpp"
#include "ResultCharts.hpp"

namespace capsim::studio {

QString headline_html(const RunRecord& run) {
  QString html = "<h3>" + run.label().toHtmlEscaped() + "</h3>";
  html +=
      "<table cellspacing='0' cellpadding='3' border='0'><tr style='background:#e8edf3'>"
      "<th align='left'>workload</th><th>layout</th><th>iteration</th><th>tokens/s</th>"
      "<th>MFU</th><th>time to train</th><th>cost owned</th><th>cost rented</th>"
      "<th>simulated iteration</th></tr>";
  for (const auto& job : run.workloads) {
    html += "<tr><td><b>" + job.name.toHtmlEscaped() + "</b> (" + job.model.toHtmlEscaped() +
            ")</td><td>" + job.layout + "</td><td align='right'>" +
            format_si(job.iteration_s, Quantity::Time) + "</td><td align='right'>" +
            format_si(job.tokens_per_s, Quantity::Count) + "</td><td align='right'>" +
            format_percent(job.mfu) + "</td><td align='right'>" +
            format_si(job.time_to_train_s, Quantity::Time) + "</td><td align='right'>" +
            format_si(job.owned_usd, Quantity::Money) + "</td><td align='right'>" +
            (job.rented_usd ? format_si(*job.rented_usd, Quantity::Money) : QString("—")) +
            "</td><td align='right'>" +
            (job.simulated ? format_si(job.simulated_iteration_s, Quantity::Time) : QString("—")) +
            "</td></tr>";
  }
  html +=
      "</table><table cellspacing='0' cellpadding='3' style='margin-top:6px'>"
      "<tr style='background:#e8edf3'><th align='left'>cluster</th><th>GPUs</th><th>capex</th>"
      "<th>owned $/h</th><th>rented $/h</th><th>facility power</th><th>break-even use</th></tr>";
  for (const auto& cluster : run.clusters) {
    html += "<tr><td><b>" + cluster.name.toHtmlEscaped() + "</b></td><td align='right'>" +
            format_count(cluster.gpus) + "</td><td align='right'>" +
            format_si(cluster.capex_usd, Quantity::Money) + "</td><td align='right'>" +
            format_si(cluster.owned_usd_per_h, Quantity::Money) + "</td><td align='right'>" +
            (cluster.rental_usd_per_h ? format_si(*cluster.rental_usd_per_h, Quantity::Money)
                                      : QString("—")) +
            "</td><td align='right'>" + format_si(cluster.facility_power_W, Quantity::Power) +
            "</td><td align='right'>" +
            (cluster.break_even_utilisation ? format_percent(*cluster.break_even_utilisation)
                                            : QString("—")) +
            "</td></tr>";
  }
  html += "</table><p>" +
          (run.targets_met ? QString("Targets met.")
                           : QString("<span style='color:#b02828'><b>Targets missed.</b></span>")) +
          QStringLiteral(" Reports: %1 (ran in %2 s)")
              .arg(run.out_dir.toHtmlEscaped())
              .arg(run.wall_s, 0, 'f', 1) +
          "</p>";
  return html;
}

ResultsView::ResultsView(QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  auto* scroll = new QScrollArea;
  scroll->setWidgetResizable(true);
  auto* body = new QWidget;
  auto* layout = new QVBoxLayout(body);
  headline_ = new QLabel(tr("No run yet: press Run (F5) to run the scenario through capsim."));
  headline_->setTextFormat(Qt::RichText);
  headline_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(headline_);
  charts_ = new QGridLayout;
  layout->addLayout(charts_);
  layout->addStretch();
  scroll->setWidget(body);
  outer->addWidget(scroll);
}

void ResultsView::showRun(const RunRecord& run) {
  headline_->setText(headline_html(run));
  while (QLayoutItem* item = charts_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  QStringList names;
  std::vector<TimeShares> shares;
  std::vector<double> owned, rented;
  for (const auto& job : run.workloads) {
    names << job.name;
    shares.push_back(job.breakdown);
    owned.push_back(job.owned_usd);
    rented.push_back(job.rented_usd.value_or(0));
  }
  charts_->addWidget(breakdown_chart(names, shares), 0, 0);
  charts_->addWidget(utilisation_chart(names, run.workloads), 0, 1);
  charts_->addWidget(iteration_chart(names, run.workloads), 1, 0);
  charts_->addWidget(cost_chart(names, owned, rented), 1, 1);
}

QString ResultsView::headlineText() const {
  QTextDocument document;
  document.setHtml(headline_->text());
  return document.toPlainText();
}

}  // namespace capsim::studio
