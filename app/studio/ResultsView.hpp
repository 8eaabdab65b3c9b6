// The results of one run: headline figures per workload and cluster (as the CLI's summary gives
// them), where an iteration's time goes, utilisation, simulated iteration times and cost.
#pragma once

#include <QWidget>

#include "RunRecord.hpp"

class QLabel;
class QGridLayout;

namespace capsim::studio {

/// The headline table of a run as HTML (also used by the comparison export).
QString headline_html(const RunRecord& run);

class ResultsView : public QWidget {
  Q_OBJECT
 public:
  explicit ResultsView(QWidget* parent = nullptr);
  void showRun(const RunRecord& run);
  /// The headline text shown (for tests).
  QString headlineText() const;

 private:
  QLabel* headline_;
  QGridLayout* charts_;
};

}  // namespace capsim::studio
