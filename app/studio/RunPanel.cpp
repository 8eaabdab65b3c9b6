#include "RunPanel.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include "Format.hpp"

namespace capsim::studio {

void RunListModel::add(RunRecord record) {
  const int row = static_cast<int>(runs_.size());
  beginInsertRows({}, row, row);
  runs_.push_back(std::move(record));
  endInsertRows();
}

int RunListModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

QVariant RunListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const RunRecord& run = runs_[static_cast<std::size_t>(index.row())];
  if (role == Qt::DisplayRole) {
    QString text = run.label() + "  " + run.started.toString("HH:mm:ss");
    if (!run.workloads.empty()) {
      text += "  · iteration " + format_si(run.workloads.front().iteration_s, Quantity::Time) +
              " · " + format_si(run.headline_cost(0), Quantity::Money);
    }
    return text;
  }
  if (role == Qt::ToolTipRole) return run.out_dir;
  return {};
}

RunPanel::RunPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* controls = new QHBoxLayout;
  fidelity_ = new QComboBox;
  fidelity_->addItems({"estimate", "simulate"});
  fidelity_->setToolTip(
      tr("estimate: closed form; simulate: also SimGrid (capsim run --fidelity)"));
  progress_ = new QProgressBar;
  progress_->setRange(0, 100);
  progress_->setValue(0);
  progress_->setTextVisible(true);
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setEnabled(false);
  state_ = new QLabel(tr("idle"));
  auto* compare = new QPushButton(tr("Compare selected"));
  controls->addWidget(new QLabel(tr("Fidelity")));
  controls->addWidget(fidelity_);
  controls->addWidget(progress_, 1);
  controls->addWidget(cancel_);
  controls->addWidget(compare);
  layout->addLayout(controls);
  layout->addWidget(state_);
  list_ = new QListView;
  list_->setModel(&model_);
  list_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  layout->addWidget(list_, 1);

  connect(cancel_, &QPushButton::clicked, &controller_, &RunController::cancel);
  connect(compare, &QPushButton::clicked, this, [this] { emit compareRequested(selectedRuns()); });
  connect(list_, &QListView::activated, this,
          [this](const QModelIndex& index) { emit runSelected(model_.run(index.row())); });
  connect(list_, &QListView::clicked, this,
          [this](const QModelIndex& index) { emit runSelected(model_.run(index.row())); });
  connect(&controller_, &RunController::progress, this, [this](int percent, const QString& stage) {
    progress_->setValue(percent);
    state_->setText(tr("running: %1").arg(stage));
  });
  connect(&controller_, &RunController::finished, this, [this](const RunRecord& record) {
    cancel_->setEnabled(false);
    state_->setText(tr("finished %1 in %2 s").arg(record.label()).arg(record.wall_s, 0, 'f', 1));
    model_.add(record);
    list_->setCurrentIndex(model_.index(model_.rowCount() - 1));
    emit runningChanged(false);
    emit runFinished(record);
  });
  connect(&controller_, &RunController::failed, this, [this](const QString& message) {
    cancel_->setEnabled(false);
    progress_->setValue(0);
    state_->setText("<span style='color:#b02828'>" + message.toHtmlEscaped() + "</span>");
    emit runningChanged(false);
  });
}

QString RunPanel::fidelity() const { return fidelity_->currentText(); }

bool RunPanel::run(const std::string& yaml_text, const QString& source) {
  if (!controller_.start(yaml_text, source, fidelity(), next_number_)) return false;
  ++next_number_;
  cancel_->setEnabled(true);
  progress_->setValue(0);
  emit runningChanged(true);
  return true;
}

std::vector<RunRecord> RunPanel::selectedRuns() const {
  std::vector<RunRecord> runs;
  for (const QModelIndex& index : list_->selectionModel()->selectedRows()) {
    runs.push_back(model_.run(index.row()));
  }
  std::sort(runs.begin(), runs.end(),
            [](const RunRecord& a, const RunRecord& b) { return a.number < b.number; });
  return runs;
}

}  // namespace capsim::studio
