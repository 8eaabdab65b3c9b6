// The property editor's model: the scenario's YAML tree (sections, list items, keys in file
// order) with three columns — key, value, and the documented type/unit and default. Mappings
// also list the documented keys the file leaves out, greyed, with their default, so a value can
// be given to any of them. Editing a value edits the document (ScenarioText keeps the rest of
// the file as written); validate() runs the scenario parser on the edited text as the user types.
#pragma once

#include <QAbstractItemModel>
#include <vector>

#include "ScenarioDocument.hpp"

namespace capsim::studio {

class PropertyModel : public QAbstractItemModel {
  Q_OBJECT
 public:
  enum Column { KeyColumn, ValueColumn, TypeColumn, ColumnCount };
  enum Role {
    KeyPathRole = Qt::UserRole + 1,
    ChoicesRole,
    CatalogKindRole,
    PresentRole,
    ScalarRole
  };

  explicit PropertyModel(ScenarioDocument* document, QObject* parent = nullptr);

  QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
  QModelIndex parent(const QModelIndex& child) const override;
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

  /// The index of the row for `key_path` (column 0), or of its nearest shown ancestor.
  QModelIndex indexOf(const QString& key_path) const;
  ScenarioDocument* document() const { return document_; }
  /// Empty when `value` at `key_path` parses; else the parser's message about that key.
  QString validate(const QString& key_path, const QString& value) const;

 private:
  struct Entry {
    QString key;
    QString path;
    QString value;  ///< scalars only
    bool scalar = false;
    bool present = true;  ///< false: documented but not in the file
    QString type, fallback, meaning;
    int parent = -1;
    int row = 0;
    std::vector<int> children;
  };
  void refresh();
  /// Adds the documented keys of the mapping at `path` missing from `seen`, greyed; the keys of
  /// a missing mapping below them too.
  void addAbsent(const QString& path, int parent, const QString& variant, const QStringList& seen);
  /// Adds the entries of `node`, at `path`, under entry `parent`; `variant` is the `kind` of
  /// the list item it belongs to. `path` by value: it may point into entries_, which grows.
  void build(const YAML::Node& node, QString path, int parent, const QString& variant = {});
  int add(Entry entry);
  const Entry* entryOf(const QModelIndex& index) const;

  ScenarioDocument* document_;
  std::vector<Entry> entries_;  ///< entries_[0] is the invisible root
};

}  // namespace capsim::studio
