// The scenario being edited: its file text (the single source of truth), the YAML tree and the
// Scenario parsed from it, the first problem the parser found, and the undo stack.
//
// Every edit is a text change made by ScenarioText.hpp at the edited node's position and pushed
// as one undo command holding the text before and after, so undo gives back the file byte for
// byte and everything not edited (order, comments, style) is kept. After each change the text is
// parsed again by models/' own parse_scenario(), exactly as `capsim check` parses it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <QObject>
#include <QString>
#include <QUndoStack>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capsim/models/Catalog.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim::studio {

/// One problem as the CLI reports it, with the key path it points at (may be empty).
struct Problem {
  QString message;   ///< what `capsim check` prints after "error: "
  QString key_path;  ///< "workloads[0].parallelism.tp"; empty when unknown
  int line = 0;      ///< 1-based; 0 = unknown
  int column = 0;
  QString stage;  ///< "parse" (file and keys) or "plan" (topology, layout, memory)
};

class ScenarioDocument : public QObject {
  Q_OBJECT
 public:
  /// `catalog` is shared with the rest of the studio; it must outlive the document.
  explicit ScenarioDocument(std::shared_ptr<const Catalog> catalog, QObject* parent = nullptr);

  /// Reads a file; on failure returns false and leaves the document unchanged.
  bool load(const QString& path, QString* error);
  /// Starts from text (New uses a template); no file path.
  void reset(const QString& text, const QString& path = {});
  /// Writes the text atomically (QSaveFile: a temporary file renamed over the old one).
  bool save(const QString& path, QString* error);

  const std::string& text() const { return text_; }
  QString path() const { return path_; }
  bool modified() const { return !undo_.isClean(); }
  QUndoStack* undoStack() { return &undo_; }
  const Catalog& catalog() const { return *catalog_; }
  std::shared_ptr<const Catalog> sharedCatalog() const { return catalog_; }

  /// The YAML tree of the text; undefined when the text is not YAML.
  const YAML::Node& root() const { return root_; }
  /// The parsed scenario, when the text parses without error.
  const std::optional<Scenario>& scenario() const { return scenario_; }
  /// The parse problem, if any (the parser stops at the first, as the CLI does).
  const std::optional<Problem>& parseProblem() const { return parse_problem_; }

  /// A scalar value at a key path, as written ("" when missing).
  QString value(const QString& key_path) const;

  // Edits. Each pushes one undo command; on failure it returns false with the reason.
  bool setValue(const QString& key_path, const QString& value, QString* error = nullptr);
  bool removeEntry(const QString& key_path, QString* error = nullptr);
  bool appendItem(const QString& list_path, const std::vector<std::string>& lines,
                  const QString& description, QString* error = nullptr);
  /// Replaces the whole text as one undoable edit (used by compound edits).
  void replaceText(const std::string& text, const QString& description);

 signals:
  /// The text changed (edit, undo, redo, load); the tree and parse results are up to date.
  void changed();
  void pathChanged(const QString& path);

 private:
  friend class TextChangeCommand;
  void applyText(const std::string& text);
  void resetText(const std::string& text, const QString& path);
  void reparse();

  std::shared_ptr<const Catalog> catalog_;
  std::string text_;
  QString path_;
  YAML::Node root_;
  std::optional<Scenario> scenario_;
  std::optional<Problem> parse_problem_;
  QUndoStack undo_;
};

}  // namespace capsim::studio
