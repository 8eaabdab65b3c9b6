// What docs/scenario-format.md says about each scenario key (type and unit, default, meaning),
// read from the key reference tables of that file, compiled into the studio as a resource. The
// property editor shows it beside each value and offers the choices and catalog ids it names,
// so the studio documents exactly what the CLI's documentation does.
#pragma once

#include <QHash>
#include <QString>
#include <QStringList>

namespace capsim::studio {

struct KeyDoc {
  QString key;
  QString type;      ///< "duration > 0", "`bf16` \| `fp8`", "ref `servers`"
  QString fallback;  ///< the default column
  QString meaning;
  /// The values a choice key allows ("bf16", "fp8"); empty for other keys.
  QStringList choices() const;
  /// The catalog kind of a reference key ("servers"); empty for other keys.
  QString catalogKind() const;
};

class KeyReference {
 public:
  /// Parses the Markdown of docs/scenario-format.md (its section 3 tables). A heading names a
  /// section ("### `workloads[].parallelism`"), "(kind: inference)" after it a variant of the
  /// section for list items of that kind; a paragraph opening with a ticked key ("`engine` (...)")
  /// names a subsection for the tables that follow; a dotted key ("`parallelism.tp`") is filed
  /// under the subsection it names.
  explicit KeyReference(const QString& markdown);
  /// The reference compiled into the studio.
  static const KeyReference& shipped();

  /// The section pattern of a concrete mapping path: "workloads[0].parallelism" ->
  /// "workloads[].parallelism"; "" for the top level.
  static QString pattern(const QString& map_path);
  /// The documentation of `key` inside the mapping at `map_path` (nullptr when undocumented).
  /// `variant` is the `kind` of the list item the mapping belongs to ("inference"); empty for
  /// none, which picks the first variant the documentation gives.
  const KeyDoc* find(const QString& map_path, const QString& key,
                     const QString& variant = {}) const;
  /// The documented keys of a mapping, in the documentation's order.
  QList<KeyDoc> keys(const QString& map_path, const QString& variant = {}) const;
  int sectionCount() const { return static_cast<int>(sections_.size()); }

 private:
  void add(const QString& section, const QString& variant, KeyDoc doc);
  const QList<KeyDoc>* section(const QString& map_path, const QString& variant) const;

  QHash<QString, QList<KeyDoc>> sections_;  ///< by "pattern" or "pattern#variant"
  QHash<QString, QString> first_variant_;   ///< pattern -> the first variant documented
};

}  // namespace capsim::studio
