#include "PropertyDelegate.hpp"

#include <QComboBox>
#include <QLineEdit>

#include "PropertyModel.hpp"
#include "ScenarioDocument.hpp"

namespace capsim::studio {
namespace {

const char* kInvalidStyle = "QLineEdit { background: #fde8e8; border: 1px solid #c83232; }";

}  // namespace

PropertyDelegate::PropertyDelegate(PropertyModel* model, QObject* parent)
    : QStyledItemDelegate(parent), model_(model) {}

QWidget* PropertyDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                                        const QModelIndex& index) const {
  const QStringList choices = index.data(PropertyModel::ChoicesRole).toStringList();
  const QString kind = index.data(PropertyModel::CatalogKindRole).toString();
  const QString path = index.data(PropertyModel::KeyPathRole).toString();
  if (!choices.isEmpty() || !kind.isEmpty()) {
    auto* combo = new QComboBox(parent);
    combo->setEditable(!kind.isEmpty());  // a catalog id may also be an inline override
    if (!kind.isEmpty()) {
      QStringList ids;
      const Catalog& catalog = model_->document()->catalog();
      auto add = [&](const auto& entries) {
        for (const auto& entry : entries) ids << QString::fromStdString(entry.first);
      };
      if (kind == "servers") add(catalog.servers);
      if (kind == "gpus") add(catalog.gpus);
      if (kind == "nics") add(catalog.nics);
      if (kind == "switches") add(catalog.switches);
      if (kind == "optics") add(catalog.optics);
      if (kind == "storage") add(catalog.storage);
      if (kind == "models") add(catalog.models);
      if (kind == "cloud_prices") add(catalog.cloud_prices);
      if (kind == "economics") add(catalog.economics);
      combo->addItems(ids);
    } else {
      combo->addItems(choices);
    }
    return combo;
  }
  auto* edit = new QLineEdit(parent);
  connect(edit, &QLineEdit::textEdited, this, [this, edit, path](const QString& text) {
    const QString message = model_->validate(path, text);
    edit->setStyleSheet(message.isEmpty() ? QString() : QString(kInvalidStyle));
    edit->setToolTip(message);
    emit validation(message);
  });
  Q_UNUSED(option);
  return edit;
}

void PropertyDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
  const QString value = index.data(Qt::EditRole).toString();
  if (auto* combo = qobject_cast<QComboBox*>(editor)) {
    const int at = combo->findText(value);
    if (at >= 0) {
      combo->setCurrentIndex(at);
    } else {
      combo->setEditText(value);
    }
    return;
  }
  static_cast<QLineEdit*>(editor)->setText(value);
}

void PropertyDelegate::setModelData(QWidget* editor, QAbstractItemModel* model,
                                    const QModelIndex& index) const {
  const QString value = qobject_cast<QComboBox*>(editor)
                            ? static_cast<QComboBox*>(editor)->currentText()
                            : static_cast<QLineEdit*>(editor)->text();
  emit validation(QString());
  model->setData(index, value, Qt::EditRole);
}

}  // namespace capsim::studio
