#include "KeyReference.hpp"

#include <QFile>
#include <QRegularExpression>

namespace capsim::studio {
namespace {

QString strip_ticks(QString text) {
  text = text.trimmed();
  if (text.startsWith('`') && text.endsWith('`') && text.size() >= 2)
    text = text.mid(1, text.size() - 2);
  return text;
}

}  // namespace

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
  bool in_reference = false;
  QString section;
  bool have_section = false;
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
      if (title.startsWith("Top level")) {
        section = QString();
      } else {
        section = title.section('`', 1, 1);
      }
      have_section = true;
      continue;
    }
    if (!have_section || !line.startsWith("| `")) continue;
    QString row = line;
    row.replace("\\|", QChar(0x1F));  // an escaped bar inside a cell
    QStringList cells = row.split('|');
    if (cells.size() < 5) continue;
    auto cell = [&](int i) { return cells[i].replace(QChar(0x1F), "\\|").trimmed(); };
    KeyDoc doc{strip_ticks(cell(1)), cell(2), cell(3), cell(4)};
    sections_[section].append(doc);
  }
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

const KeyDoc* KeyReference::find(const QString& map_path, const QString& key) const {
  const auto section = sections_.constFind(pattern(map_path));
  if (section == sections_.constEnd()) return nullptr;
  for (const KeyDoc& doc : *section) {
    if (doc.key == key) return &doc;
  }
  return nullptr;
}

QList<KeyDoc> KeyReference::keys(const QString& map_path) const {
  return sections_.value(pattern(map_path));
}

}  // namespace capsim::studio
