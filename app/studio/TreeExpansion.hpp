// Keeps a tree view's open branches across a reset of its model, by key path: the property model
// rebuilds itself (a model reset) whenever an edit changes the tree's shape, which would otherwise
// collapse every branch the user opened.
#pragma once

#include <QObject>
#include <QSet>
#include <QString>

class QTreeView;

namespace capsim::studio {

class TreeExpansion : public QObject {
  Q_OBJECT
 public:
  /// Follows `view`'s model, whose items give their key path in `path_role`.
  TreeExpansion(QTreeView* view, int path_role);

  /// The key paths of the open branches (as last saved, or now when the model is not resetting).
  QSet<QString> expandedPaths() const;

 private:
  void save();
  void restore();

  QTreeView* view_;
  int path_role_;
  QSet<QString> saved_;
};

}  // namespace capsim::studio
