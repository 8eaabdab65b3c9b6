// Editors of the property tree: a combo box for choices and catalog references, a line edit for
// everything else, checked against the scenario parser as the user types (red with the parser's
// message when the value would be rejected).
#pragma once

#include <QStyledItemDelegate>

namespace capsim::studio {

class PropertyModel;

class PropertyDelegate : public QStyledItemDelegate {
  Q_OBJECT
 public:
  PropertyDelegate(PropertyModel* model, QObject* parent = nullptr);

  QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                        const QModelIndex& index) const override;
  void setEditorData(QWidget* editor, const QModelIndex& index) const override;
  void setModelData(QWidget* editor, QAbstractItemModel* model,
                    const QModelIndex& index) const override;

 signals:
  /// The parser's verdict on what is being typed ("" when it is accepted).
  void validation(const QString& message) const;

 private:
  PropertyModel* model_;
};

}  // namespace capsim::studio
