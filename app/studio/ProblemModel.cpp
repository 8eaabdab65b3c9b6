#include "ProblemModel.hpp"

#include <QBrush>
#include <QColor>

namespace capsim::studio {

ProblemModel::ProblemModel(QObject* parent) : QAbstractTableModel(parent) {}

void ProblemModel::setProblems(std::vector<Problem> problems) {
  beginResetModel();
  problems_ = std::move(problems);
  endResetModel();
}

int ProblemModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(problems_.size());
}

int ProblemModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProblemModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= static_cast<int>(problems_.size())) return {};
  const Problem& problem = problems_[static_cast<std::size_t>(index.row())];
  if (role == KeyPathRole) return problem.key_path;
  if (role == Qt::ForegroundRole && index.column() == MessageColumn)
    return QBrush(QColor(170, 30, 30));
  if (role == Qt::ToolTipRole) return problem.message;
  if (role != Qt::DisplayRole) return {};
  if (index.column() == WhereColumn) {
    QString where = problem.key_path.isEmpty() ? problem.stage : problem.key_path;
    if (problem.line > 0) where += QStringLiteral(" (line %1)").arg(problem.line);
    return where;
  }
  return "error: " + problem.message;
}

QVariant ProblemModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  return section == WhereColumn ? tr("Where") : tr("Problem (as capsim check reports it)");
}

}  // namespace capsim::studio
