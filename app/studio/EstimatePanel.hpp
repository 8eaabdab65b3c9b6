// The status panel: the live closed-form estimate of the scenario being edited (step time,
// tokens/s, MFU, time to train and cost per workload; cost per hour, power and GPUs overall),
// or why there is none.
#pragma once

#include <QLabel>
#include <QWidget>

#include "LiveEstimate.hpp"

namespace capsim::studio {

class EstimatePanel : public QWidget {
  Q_OBJECT
 public:
  explicit EstimatePanel(QWidget* parent = nullptr);
  void showPending();
  void showSummary(const EstimateSummary& summary);
  /// The panel's text (for tests and the screenshot check).
  QString text() const;

 private:
  QLabel* label_;
};

/// The HTML the panel shows for a summary.
QString estimate_html(const EstimateSummary& summary);

}  // namespace capsim::studio
