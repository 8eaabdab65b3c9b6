// The session's runs: a list model of every finished run (kept for the session), the Run/Cancel
// controls with a progress bar, and the hand-off to the results and comparison views.
#pragma once

#include <QAbstractListModel>
#include <QWidget>
#include <vector>

#include "RunController.hpp"
#include "RunRecord.hpp"

class QListView;
class QProgressBar;
class QPushButton;
class QComboBox;
class QLabel;

namespace capsim::studio {

class RunListModel : public QAbstractListModel {
  Q_OBJECT
 public:
  using QAbstractListModel::QAbstractListModel;
  void add(RunRecord record);
  const RunRecord& run(int row) const { return runs_.at(static_cast<std::size_t>(row)); }
  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

 private:
  std::vector<RunRecord> runs_;
};

class RunPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunPanel(QWidget* parent = nullptr);

  RunController* controller() { return &controller_; }
  RunListModel* model() { return &model_; }
  QProgressBar* progressBar() { return progress_; }
  QString fidelity() const;
  /// Starts a run of the text; the panel shows progress until it ends.
  bool run(const std::string& yaml_text, const QString& source);
  /// The runs selected in the list (at least one when any exists: the latest).
  std::vector<RunRecord> selectedRuns() const;

 signals:
  void runFinished(const capsim::studio::RunRecord& record);
  void runSelected(const capsim::studio::RunRecord& record);
  void compareRequested(const std::vector<capsim::studio::RunRecord>& runs);
  void runningChanged(bool running);

 private:
  RunController controller_;
  RunListModel model_;
  QListView* list_;
  QProgressBar* progress_;
  QPushButton* cancel_;
  QComboBox* fidelity_;
  QLabel* state_;
  int next_number_ = 1;
};

}  // namespace capsim::studio
