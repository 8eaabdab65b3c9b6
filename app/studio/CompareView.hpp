// Two or more runs side by side: a table of the headline figures with each run's difference
// from the first, charts of where the time goes and what it costs, and export of the whole
// comparison as a self-contained HTML page or a PDF.
#pragma once

#include <QWidget>
#include <vector>

#include "RunRecord.hpp"

class QTableWidget;
class QGridLayout;
class QLabel;

namespace capsim::studio {

/// One row of the comparison: a figure of each run's first workload (or cluster totals).
struct CompareRow {
  QString label;
  std::vector<double> values;
  int kind = 0;  ///< capsim::Quantity of the values, as an int (formatting)
  bool lower_is_better = true;
};
/// The rows compared, in display order.
std::vector<CompareRow> compare_rows(const std::vector<RunRecord>& runs);

class CompareView : public QWidget {
  Q_OBJECT
 public:
  explicit CompareView(QWidget* parent = nullptr);
  void showRuns(const std::vector<RunRecord>& runs);
  /// The comparison as a self-contained HTML page (charts as embedded PNG images).
  QString html() const;
  bool exportHtml(const QString& path, QString* error) const;
  bool exportPdf(const QString& path, QString* error) const;
  int runCount() const { return static_cast<int>(runs_.size()); }

 private:
  QString tableHtml() const;
  std::vector<QImage> chartImages() const;

  std::vector<RunRecord> runs_;
  QLabel* title_;
  QTableWidget* table_;
  QGridLayout* charts_;
};

}  // namespace capsim::studio
