#include "KeyReference.hpp"

#include <QFile>
#include <QRegularExpression>

namespace capsim::studio {

QStringList KeyDoc::choices() const {
  if (!type.contains("\\|") && !type.contains(" | ")) return {};
  QStringList out;
  static const QRegularExpression kTicked("`([^`]+)`");
  for (auto match = kTicked.globalMatch(type); match.hasNext();) out << match.next().captured(1);
  return out;
}

QString KeyDoc::catalogKind() const {
  static const QRegularExpression kRef("ref `([a-z_]+)`");
  const auto match = kRef.match(type);
  return match.hasMatch() ? match.captured(1) : QString();
}

KeyReference::KeyReference(const QString& markdown) {
  static const QRegularExpression kSubsection("^`([a-z_]+)`[ (:]");
  static const QRegularExpression kVariant("\\(kind: ([a-z]+)\\)");
  static const QRegularExpression kTicked("`([^`]+)`");
  bool in_reference = false;
  bool have_section = false;
  QString heading, variant, subsection, pending;
  QStringList columns;  // the header of the table being read
  for (const QString& raw : markdown.split('\n')) {
    const QString line = raw.trimmed();
    if (line.startsWith("## ")) {
      in_reference = line.contains("Key reference");
      have_section = false;
      continue;
    }
    if (!in_reference) continue;
    if (line.startsWith("### ")) {
      const QString title = line.mid(4);
      heading = title.startsWith("Top level") ? QString() : title.section('`', 1, 1);
      const auto kind = kVariant.match(title);
      variant = kind.hasMatch() ? kind.captured(1) : QString();
      subsection.clear();
      pending.clear();
      have_section = true;
      continue;
    }
    if (!have_section) continue;
    if (!line.startsWith('|')) {
      const auto sub = kSubsection.match(line);
      if (sub.hasMatch()) pending = sub.captured(1);  // names the next table, if one follows
      continue;
    }
    QString row = line;
    row.replace("\\|", QChar(0x1F));  // an escaped bar inside a cell
    QStringList cells = row.split('|');
    for (QString& cell : cells) cell = cell.replace(QChar(0x1F), "\\|").trimmed();
    if (cells.size() < 4) continue;
    if (cells[1] == "key") {
      columns = cells;
      if (!pending.isEmpty()) subsection = pending;
      pending.clear();
      continue;
    }
    if (!cells[1].startsWith('`')) continue;  // the |---| rule
    auto column = [&](const QString& name) {
      const auto at = columns.indexOf(name);
      return at >= 0 && at < cells.size() ? cells[at] : QString();
    };
    const QString type = column("type / unit"), fallback = column("default"),
                  meaning = column("meaning");
    const QString section = subsection.isEmpty()
                                ? heading
                                : (heading.isEmpty() ? subsection : heading + "." + subsection);
    // "`input_tokens`, `output_tokens`": one row for several keys.
    for (auto match = kTicked.globalMatch(cells[1]); match.hasNext();) {
      const QString key = match.next().captured(1);
      add(section, variant, KeyDoc{key, type, fallback, meaning});
    }
  }
}

void KeyReference::add(const QString& section, const QString& variant, KeyDoc doc) {
  // "infrastructure.clusters" at the top level is the key `clusters` of `infrastructure`.
  const int dot = static_cast<int>(doc.key.lastIndexOf('.'));
  QString where = section;
  if (dot >= 0) {
    const QString owner = doc.key.left(dot);
    where = section.isEmpty() ? owner : section + "." + owner;
    doc.key = doc.key.mid(dot + 1);
  }
  if (!variant.isEmpty()) {
    if (!first_variant_.contains(where)) first_variant_.insert(where, variant);
    where += "#" + variant;
  }
  sections_[where].append(doc);
}

const QList<KeyDoc>* KeyReference::section(const QString& map_path, const QString& variant) const {
  const QString base = pattern(map_path);
  // The item's own kind first; without one, the generic table, else the first kind documented.
  const QStringList candidates = variant.isEmpty()
                                     ? QStringList{base, base + "#" + first_variant_.value(base)}
                                     : QStringList{base + "#" + variant, base};
  for (const QString& name : candidates) {
    const auto found = sections_.constFind(name);
    if (found != sections_.constEnd()) return &*found;
  }
  return nullptr;
}

const KeyReference& KeyReference::shipped() {
  static const KeyReference reference = [] {
    QFile file(QStringLiteral(":/docs/scenario-format.md"));
    file.open(QIODevice::ReadOnly);
    return KeyReference(QString::fromUtf8(file.readAll()));
  }();
  return reference;
}

QString KeyReference::pattern(const QString& map_path) {
  static const QRegularExpression kIndex("\\[\\d+\\]");
  QString out = map_path;
  out.replace(kIndex, "[]");
  return out;
}

const KeyDoc* KeyReference::find(const QString& map_path, const QString& key,
                                 const QString& variant) const {
  const QList<KeyDoc>* docs = section(map_path, variant);
  if (!docs) return nullptr;
  for (const KeyDoc& doc : *docs) {
    if (doc.key == key) return &doc;
  }
  return nullptr;
}

QList<KeyDoc> KeyReference::keys(const QString& map_path, const QString& variant) const {
  const QList<KeyDoc>* docs = section(map_path, variant);
  return docs ? *docs : QList<KeyDoc>();
}

}  // namespace capsim::studio
