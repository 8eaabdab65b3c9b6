#include "PropertyModel.hpp"

#include <QBrush>
#include <QColor>
#include <QFont>

#include "KeyReference.hpp"
#include "ScenarioText.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim::studio {
namespace {

QString child_path(const QString& path, const QString& key) {
  return path.isEmpty() ? key : path + "." + key;
}

// A cell of the Markdown tables as a person reads it: "`own` \\| `rent`" -> "own | rent".
QString plain_text(QString markdown) {
  markdown.replace("\\|", "|");
  markdown.remove('`');
  return markdown;
}

bool is_section_type(const QString& type) {
  return type.startsWith("mapping") || type.startsWith("list");
}

}  // namespace

PropertyModel::PropertyModel(ScenarioDocument* document, QObject* parent)
    : QAbstractItemModel(parent), document_(document) {
  refresh();
  connect(document_, &ScenarioDocument::changed, this, &PropertyModel::refresh);
}

int PropertyModel::add(Entry entry) {
  const int id = static_cast<int>(entries_.size());
  if (entry.parent >= 0) {
    entry.row = static_cast<int>(entries_[static_cast<std::size_t>(entry.parent)].children.size());
    entries_[static_cast<std::size_t>(entry.parent)].children.push_back(id);
  }
  entries_.push_back(std::move(entry));
  return id;
}

void PropertyModel::build(const YAML::Node& node, QString path, int parent,
                          const QString& variant) {
  const KeyReference& reference = KeyReference::shipped();
  if (node.IsMap()) {
    QStringList seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const QString key = QString::fromStdString(it->first.Scalar());
      seen << key;
      Entry entry;
      entry.key = key;
      entry.path = child_path(path, key);
      entry.parent = parent;
      if (const KeyDoc* doc = reference.find(path, key, variant)) {
        entry.type = doc->type;
        entry.fallback = doc->fallback;
        entry.meaning = doc->meaning;
      }
      entry.scalar = it->second.IsScalar() || it->second.IsNull();
      if (entry.scalar)
        entry.value = QString::fromStdString(it->second.IsScalar() ? it->second.Scalar() : "");
      const int id = add(entry);
      // entry.path, not entries_[id].path: build() adds entries, which may move entries_.
      if (!entry.scalar) build(it->second, entry.path, id, variant);
    }
    addAbsent(path, parent, variant, seen);
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      Entry entry;
      const YAML::Node item = node[i];
      entry.key = QStringLiteral("[%1]").arg(i);
      const YAML::Node name = find_node(item, "name"), system = find_node(item, "system");
      if (name.IsScalar()) {
        entry.key += " " + QString::fromStdString(name.Scalar());
      } else if (system.IsScalar()) {
        entry.key += " " + QString::fromStdString(system.Scalar());
      }
      entry.path = path + QStringLiteral("[%1]").arg(i);
      entry.parent = parent;
      entry.scalar = item.IsScalar();
      if (entry.scalar) entry.value = QString::fromStdString(item.Scalar());
      const int id = add(entry);
      // A list item's `kind` picks its documented keys (training job or inference service).
      const YAML::Node kind = find_node(item, "kind");
      if (!entry.scalar)
        build(item, entry.path, id,
              kind.IsScalar() ? QString::fromStdString(kind.Scalar()) : variant);
    }
  }
}

void PropertyModel::addAbsent(const QString& path, int parent, const QString& variant,
                              const QStringList& seen) {
  for (const KeyDoc& doc : KeyReference::shipped().keys(path, variant)) {
    if (seen.contains(doc.key)) continue;
    Entry entry;
    entry.key = doc.key;
    entry.path = child_path(path, doc.key);
    entry.parent = parent;
    entry.present = false;
    entry.scalar = !is_section_type(doc.type);
    entry.type = doc.type;
    entry.fallback = doc.fallback;
    entry.meaning = doc.meaning;
    const int id = add(entry);
    // A mapping the file leaves out lists its own documented keys, so that any of them can be
    // given a value (the edit creates the mapping). Lists are added on the canvas.
    if (doc.type.startsWith("mapping")) addAbsent(entry.path, id, variant, {});
  }
}

void PropertyModel::refresh() {
  std::vector<Entry> old = std::move(entries_);
  entries_.clear();
  add(Entry{});  // the invisible root
  if (document_->root().IsDefined()) build(document_->root(), QString(), 0);
  bool same_shape = old.size() == entries_.size();
  for (std::size_t i = 0; same_shape && i < old.size(); ++i) {
    same_shape = old[i].path == entries_[i].path && old[i].present == entries_[i].present &&
                 old[i].scalar == entries_[i].scalar && old[i].key == entries_[i].key;
  }
  if (!same_shape) {
    std::vector<Entry> fresh = std::move(entries_);
    entries_ = std::move(old);
    beginResetModel();
    entries_ = std::move(fresh);
    endResetModel();
    return;
  }
  for (std::size_t i = 1; i < entries_.size(); ++i) {
    if (old[i].value != entries_[i].value) {
      const QModelIndex changed =
          createIndex(entries_[i].row, ValueColumn, static_cast<quintptr>(i));
      emit dataChanged(changed, changed);
    }
  }
}

const PropertyModel::Entry* PropertyModel::entryOf(const QModelIndex& index) const {
  if (!index.isValid()) return &entries_[0];
  const auto id = static_cast<std::size_t>(index.internalId());
  return id < entries_.size() ? &entries_[id] : nullptr;
}

QModelIndex PropertyModel::index(int row, int column, const QModelIndex& parent) const {
  if (column < 0 || column >= ColumnCount || row < 0) return {};
  if (parent.isValid() && parent.column() != 0) return {};
  const Entry* owner = entryOf(parent);
  if (!owner || row >= static_cast<int>(owner->children.size())) return {};
  return createIndex(row, column,
                     static_cast<quintptr>(owner->children[static_cast<std::size_t>(row)]));
}

QModelIndex PropertyModel::parent(const QModelIndex& child) const {
  const Entry* entry = entryOf(child);
  if (!child.isValid() || !entry || entry->parent <= 0) return {};
  const Entry& owner = entries_[static_cast<std::size_t>(entry->parent)];
  return createIndex(owner.row, 0, static_cast<quintptr>(entry->parent));
}

int PropertyModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid() && parent.column() != 0) return 0;
  const Entry* entry = entryOf(parent);
  return entry ? static_cast<int>(entry->children.size()) : 0;
}

int PropertyModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant PropertyModel::data(const QModelIndex& index, int role) const {
  const Entry* entry = entryOf(index);
  if (!index.isValid() || !entry) return {};
  switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
      if (index.column() == KeyColumn) return entry->key;
      if (index.column() == ValueColumn) {
        if (!entry->present && role == Qt::DisplayRole) return plain_text(entry->fallback);
        return entry->value;
      }
      return role == Qt::DisplayRole ? plain_text(entry->type) : entry->type;
    case Qt::ToolTipRole: {
      QString tip = "<b>" + entry->path.toHtmlEscaped() + "</b>";
      if (!entry->type.isEmpty()) tip += "<br>" + plain_text(entry->type).toHtmlEscaped();
      if (!entry->fallback.isEmpty())
        tip += "<br>default: " + plain_text(entry->fallback).toHtmlEscaped();
      if (!entry->meaning.isEmpty()) tip += "<br>" + plain_text(entry->meaning).toHtmlEscaped();
      return tip;
    }
    case Qt::ForegroundRole:
      if (!entry->present) return QBrush(QColor(140, 146, 156));
      if (index.column() == TypeColumn) return QBrush(QColor(95, 105, 120));
      return {};
    case Qt::FontRole:
      if (index.column() == KeyColumn && !entry->scalar) {
        QFont bold;
        bold.setBold(true);
        return bold;
      }
      return {};
    case KeyPathRole:
      return entry->path;
    case PresentRole:
      return entry->present;
    case ScalarRole:
      return entry->scalar;
    case ChoicesRole: {
      KeyDoc doc{entry->key, entry->type, {}, {}};
      return doc.choices();
    }
    case CatalogKindRole: {
      KeyDoc doc{entry->key, entry->type, {}, {}};
      return doc.catalogKind();
    }
    default:
      return {};
  }
}

bool PropertyModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  const Entry* entry = entryOf(index);
  if (role != Qt::EditRole || !index.isValid() || index.column() != ValueColumn || !entry ||
      !entry->scalar) {
    return false;
  }
  const QString text = value.toString().trimmed();
  if (entry->present && text == entry->value) return true;
  if (!entry->present && text.isEmpty()) return false;
  return document_->setValue(entry->path, text);
}

Qt::ItemFlags PropertyModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  Qt::ItemFlags flags = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
  const Entry* entry = entryOf(index);
  if (index.column() == ValueColumn && entry && entry->scalar) flags |= Qt::ItemIsEditable;
  return flags;
}

QVariant PropertyModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case KeyColumn:
      return tr("Key");
    case ValueColumn:
      return tr("Value");
    case TypeColumn:
      return tr("Type / unit");
    default:
      return {};
  }
}

QModelIndex PropertyModel::indexOf(const QString& key_path) const {
  std::size_t best = 0;
  for (std::size_t i = 1; i < entries_.size(); ++i) {
    const QString& path = entries_[i].path;
    if (!key_path.startsWith(path)) continue;
    const bool whole = path.size() == key_path.size() || key_path[path.size()] == '.' ||
                       key_path[path.size()] == '[';
    if (whole && (best == 0 || path.size() > entries_[best].path.size())) best = i;
  }
  if (best == 0) return {};
  return createIndex(entries_[best].row, 0, static_cast<quintptr>(best));
}

QString PropertyModel::validate(const QString& key_path, const QString& value) const {
  std::string edited;
  try {
    edited = set_value(document_->text(), key_path.toStdString(), value.toStdString());
  } catch (const std::exception& error) {
    return QString::fromStdString(error.what());
  }
  try {
    parse_scenario(edited, "value", document_->catalog());
  } catch (const InputError& error) {
    const QString blamed = QString::fromStdString(error.key_path());
    const bool ours = blamed == key_path || key_path.startsWith(blamed + ".") ||
                      blamed.startsWith(key_path + ".");
    if (ours) {
      QString message = QString::fromStdString(error.problem());
      const QString what = QString::fromStdString(error.what());
      const int expected = what.indexOf("expected");
      if (expected >= 0) message += "; " + what.mid(expected);
      return message;
    }
  } catch (const std::exception&) {
  }
  return {};
}

}  // namespace capsim::studio
