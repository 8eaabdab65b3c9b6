// The problems list: what `capsim check` would report for the text being edited — the parser's
// problem (file:line:column, key path, what is wrong, what is expected), or the planner's
// (topology, parallel layout, memory) — with the key path each points at, so that clicking a
// problem selects the offending entry.
#pragma once

#include <QAbstractTableModel>
#include <vector>

#include "ScenarioDocument.hpp"

namespace capsim::studio {

class ProblemModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { WhereColumn, MessageColumn, ColumnCount };
  enum Role { KeyPathRole = Qt::UserRole + 1 };

  explicit ProblemModel(QObject* parent = nullptr);

  void setProblems(std::vector<Problem> problems);
  const std::vector<Problem>& problems() const { return problems_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  std::vector<Problem> problems_;
};

}  // namespace capsim::studio
