#include "ScenarioDocument.hpp"

#include <QFile>
#include <QSaveFile>
#include <QUndoCommand>

#include "ScenarioText.hpp"
#include "capsim/models/Errors.hpp"

namespace capsim::studio {

/// One edit: the whole text before and after, so undo restores the file byte for byte.
class TextChangeCommand : public QUndoCommand {
 public:
  TextChangeCommand(ScenarioDocument* document, std::string before, std::string after,
                    const QString& description)
      : QUndoCommand(description),
        document_(document),
        before_(std::move(before)),
        after_(std::move(after)) {}
  void undo() override { document_->applyText(before_); }
  void redo() override { document_->applyText(after_); }

 private:
  ScenarioDocument* document_;
  std::string before_;
  std::string after_;
};

ScenarioDocument::ScenarioDocument(std::shared_ptr<const Catalog> catalog, QObject* parent)
    : QObject(parent), catalog_(std::move(catalog)) {}

bool ScenarioDocument::load(const QString& path, QString* error) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    if (error) *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
    return false;
  }
  resetText(file.readAll().toStdString(), path);  // the bytes as read, no re-encoding
  return true;
}

void ScenarioDocument::reset(const QString& text, const QString& path) {
  resetText(text.toStdString(), path);
}

void ScenarioDocument::resetText(const std::string& text, const QString& path) {
  undo_.clear();
  path_ = path;
  text_ = text;
  reparse();
  emit pathChanged(path_);
  emit changed();
}

bool ScenarioDocument::save(const QString& path, QString* error) {
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly)) {
    if (error) *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  file.write(text_.data(), static_cast<qint64>(text_.size()));
  if (!file.commit()) {
    if (error) *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return false;
  }
  undo_.setClean();
  if (path != path_) {
    path_ = path;
    reparse();  // messages name the new file
    emit pathChanged(path_);
    emit changed();
  }
  return true;
}

QString ScenarioDocument::value(const QString& key_path) const {
  if (!root_.IsDefined()) return {};
  const YAML::Node node = find_node(root_, key_path.toStdString());
  if (!node.IsDefined() || !node.IsScalar()) return {};
  return QString::fromStdString(node.Scalar());
}

bool ScenarioDocument::setValue(const QString& key_path, const QString& value, QString* error) {
  try {
    const std::string after = set_value(text_, key_path.toStdString(), value.toStdString());
    if (after != text_) replaceText(after, QStringLiteral("Set %1 to %2").arg(key_path, value));
    return true;
  } catch (const std::exception& failure) {
    if (error) *error = QString::fromStdString(failure.what());
    return false;
  }
}

bool ScenarioDocument::removeEntry(const QString& key_path, QString* error) {
  try {
    replaceText(remove_entry(text_, key_path.toStdString()),
                QStringLiteral("Delete %1").arg(key_path));
    return true;
  } catch (const std::exception& failure) {
    if (error) *error = QString::fromStdString(failure.what());
    return false;
  }
}

bool ScenarioDocument::appendItem(const QString& list_path, const std::vector<std::string>& lines,
                                  const QString& description, QString* error) {
  try {
    replaceText(append_item(text_, list_path.toStdString(), lines), description);
    return true;
  } catch (const std::exception& failure) {
    if (error) *error = QString::fromStdString(failure.what());
    return false;
  }
}

void ScenarioDocument::replaceText(const std::string& text, const QString& description) {
  undo_.push(new TextChangeCommand(this, text_, text, description));
}

void ScenarioDocument::applyText(const std::string& text) {
  text_ = text;
  reparse();
  emit changed();
}

void ScenarioDocument::reparse() {
  scenario_.reset();
  parse_problem_.reset();
  const std::string file = path_.isEmpty() ? std::string("untitled.yaml") : path_.toStdString();
  try {
    root_ = YAML::Load(text_);
  } catch (const YAML::Exception&) {
    root_ = YAML::Node(YAML::NodeType::Undefined);
  }
  try {
    scenario_ = parse_scenario(text_, file, *catalog_);
  } catch (const InputError& error) {
    parse_problem_ =
        Problem{QString::fromStdString(error.what()), QString::fromStdString(error.key_path()),
                error.where().line, error.where().column, QStringLiteral("parse")};
  } catch (const std::exception& error) {  // a calibration profile that cannot be read
    parse_problem_ = Problem{QString::fromStdString(error.what()), {}, 0, 0, "parse"};
  }
}

}  // namespace capsim::studio
