#include "TreeExpansion.hpp"

#include <QAbstractItemModel>
#include <QTreeView>
#include <functional>

namespace capsim::studio {

TreeExpansion::TreeExpansion(QTreeView* view, int path_role)
    : QObject(view), view_(view), path_role_(path_role) {
  QAbstractItemModel* model = view_->model();
  // Before the reset the old tree is still there to read; after it the new one to open.
  connect(model, &QAbstractItemModel::modelAboutToBeReset, this, &TreeExpansion::save);
  connect(model, &QAbstractItemModel::modelReset, this, &TreeExpansion::restore);
}

QSet<QString> TreeExpansion::expandedPaths() const {
  QSet<QString> paths;
  const QAbstractItemModel* model = view_->model();
  const std::function<void(const QModelIndex&)> collect = [&](const QModelIndex& parent) {
    for (int row = 0; row < model->rowCount(parent); ++row) {
      const QModelIndex index = model->index(row, 0, parent);
      if (!view_->isExpanded(index)) continue;
      paths.insert(index.data(path_role_).toString());
      collect(index);
    }
  };
  collect(view_->rootIndex());
  return paths;
}

void TreeExpansion::save() { saved_ = expandedPaths(); }

void TreeExpansion::restore() {
  // The whole tree, not the view's root: a view rooted at a branch ("workloads") gets its root
  // index back only after the reset. The property tree of a scenario is a few hundred rows.
  const QAbstractItemModel* model = view_->model();
  const std::function<void(const QModelIndex&)> reopen = [&](const QModelIndex& parent) {
    for (int row = 0; row < model->rowCount(parent); ++row) {
      const QModelIndex index = model->index(row, 0, parent);
      if (saved_.contains(index.data(path_role_).toString())) view_->expand(index);
      reopen(index);
    }
  };
  if (!saved_.isEmpty()) reopen(QModelIndex());
}

}  // namespace capsim::studio
