// The infrastructure canvas's scene: one frame per cluster holding its fabric, its server pool
// (a type and a count, drawn as one block however many GPUs it has) and its storage systems,
// links between them labelled with what they carry, and the workloads under the clusters they
// run on. Built from the document's YAML tree, so it is drawn even while the scenario has a
// problem; the planned figures (switch counts, step times) are filled in when an estimate
// arrives.
#pragma once

#include <QGraphicsScene>
#include <QHash>
#include <QPointF>

#include "CanvasItems.hpp"
#include "LiveEstimate.hpp"
#include "ScenarioDocument.hpp"

namespace capsim::studio {

class InfraScene : public QGraphicsScene {
  Q_OBJECT
 public:
  explicit InfraScene(ScenarioDocument* document, QObject* parent = nullptr);

  /// Rebuilds every item from the document (keeps the positions the user gave items).
  void rebuild();
  /// Marks the items the problems point at.
  void setProblems(const std::vector<Problem>& problems);
  /// Fills in planned figures.
  void applyEstimate(const EstimateSummary& summary);
  /// Selects the item standing for `key_path` (or its nearest enclosing entry).
  void selectPath(const QString& key_path);
  /// The key path of the selected block or frame ("" when none).
  QString selectedPath() const;
  /// The block or frame under a scene point (topmost), or nullptr.
  QGraphicsItem* entryAt(QPointF scene_pos) const;
  /// The cluster index an item belongs to, -1 for none.
  static int clusterIndexOf(const QString& key_path);
  /// Item counts, for tests and the benchmark.
  int blockCount() const { return static_cast<int>(blocks_.size()); }

 signals:
  void pathSelected(const QString& key_path);

 private:
  void buildCluster(int index, const YAML::Node& cluster, qreal x);
  void rememberPositions();
  void place(QGraphicsItem* item, const QString& key_path, QPointF automatic);
  QGraphicsItem* itemFor(const QString& key_path) const;

  ScenarioDocument* document_;
  std::vector<BlockItem*> blocks_;
  std::vector<FrameItem*> frames_;
  QHash<QString, QPointF> moved_;      ///< positions the user gave items, by key path
  QHash<QString, QPointF> automatic_;  ///< where the layout put them
  bool rebuilding_ = false;
};

}  // namespace capsim::studio
