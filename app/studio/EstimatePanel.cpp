#include "EstimatePanel.hpp"

#include <QTextDocument>
#include <QVBoxLayout>

#include "Format.hpp"

namespace capsim::studio {

QString estimate_html(const EstimateSummary& summary) {
  if (!summary.valid) {
    return QStringLiteral(
        "<p style='color:#b02828'><b>No estimate</b>: the scenario has a "
        "problem (see Problems).</p>");
  }
  QString html = "<table cellspacing='0' cellpadding='2' width='100%'>";
  auto row = [&html](const QString& label, const QString& value, bool strong = false) {
    html += "<tr><td style='color:#5a6473'>" + label + "</td><td align='right'>" +
            (strong ? "<b>" + value + "</b>" : value) + "</td></tr>";
  };
  for (const auto& job : summary.workloads) {
    html += "<tr><td colspan='2' style='padding-top:4px'><b>" + job.name.toHtmlEscaped() +
            "</b> <span style='color:#5a6473'>on " + job.cluster.toHtmlEscaped() +
            "</span></td></tr>";
    row(QObject::tr("step time"), format_si(job.iteration_s, Quantity::Time), true);
    row(QObject::tr("throughput"), format_si(job.tokens_per_s, Quantity::Count) + " tokens/s",
        true);
    row(QObject::tr("MFU"), format_percent(job.mfu));
    row(QObject::tr("GPU memory"), format_percent(job.memory_fraction));
    row(QObject::tr("time to train"), format_si(job.time_to_train_s, Quantity::Time));
    row(QObject::tr("run cost"), format_si(job.cost_usd, Quantity::Money));
    row(QObject::tr("layout"), job.layout.toHtmlEscaped());
  }
  for (const auto& service : summary.services) {
    html += "<tr><td colspan='2' style='padding-top:4px'><b>" + service.name.toHtmlEscaped() +
            "</b> <span style='color:#5a6473'>" + QObject::tr("service on ") +
            service.cluster.toHtmlEscaped() + "</span></td></tr>";
    const QString layout = service.pp > 1 ? QObject::tr("TP%1 PP%2").arg(service.tp).arg(service.pp)
                                          : QObject::tr("TP%1").arg(service.tp);
    row(QObject::tr("per replica (%1)").arg(layout),
        QString::number(service.replica_requests_per_s, 'g', 4) + " req/s", true);
    row(QObject::tr("output tokens/s per replica"),
        QString::number(service.replica_output_tokens_per_s, 'f', 0));
    row(QObject::tr("peak traffic"), QString::number(service.peak_rate_per_s, 'g', 4) + " req/s");
    const bool short_of_peak = service.max_replicas < service.replicas_for_peak;
    const QString needed = QString::number(service.replicas_for_peak) + " " +
                           QObject::tr("of %1 max").arg(service.max_replicas);
    row(QObject::tr("replicas for the peak"),
        short_of_peak ? "<span style='color:#b02828'>" + needed + "</span>" : needed, true);
    row(QObject::tr("KV cache per replica"),
        format_si(static_cast<double>(service.kv_tokens), Quantity::Count) + " tokens");
    row(summary.rented ? QObject::tr("GPU-hour (rented)") : QObject::tr("GPU-hour (owned)"),
        format_si(service.usd_per_gpu_hour, Quantity::Money));
  }
  html += "<tr><td colspan='2' style='padding-top:6px'><b>" + QObject::tr("All clusters") +
          "</b></td></tr>";
  row(QObject::tr("GPUs"), format_count(summary.gpus));
  row(summary.rented ? QObject::tr("cost per hour (rented)") : QObject::tr("cost per hour (owned)"),
      format_si(summary.cost_usd_per_h, Quantity::Money) + "/h", true);
  row(QObject::tr("facility power"), format_si(summary.facility_power_W, Quantity::Power), true);
  row(QObject::tr("targets"),
      summary.targets_met ? QObject::tr("met")
                          : "<span style='color:#b02828'>" + QObject::tr("missed") + "</span>");
  html += "</table><p style='color:#8a93a0'>" +
          QObject::tr("closed-form estimate, %1 ms").arg(summary.elapsed_ms, 0, 'f', 0) + "</p>";
  return html;
}

EstimatePanel::EstimatePanel(QWidget* parent) : QWidget(parent), label_(new QLabel(this)) {
  auto* layout = new QVBoxLayout(this);
  label_->setTextFormat(Qt::RichText);
  label_->setWordWrap(true);
  label_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  layout->addWidget(label_);
  layout->addStretch();
  showPending();
}

void EstimatePanel::showPending() {
  if (label_->text().isEmpty()) label_->setText(tr("<p style='color:#8a93a0'>Estimating…</p>"));
}

void EstimatePanel::showSummary(const EstimateSummary& summary) {
  label_->setText(estimate_html(summary));
}

QString EstimatePanel::text() const {
  QTextDocument document;
  document.setHtml(label_->text());
  return document.toPlainText();
}

}  // namespace capsim::studio
