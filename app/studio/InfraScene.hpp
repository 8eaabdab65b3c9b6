// The infrastructure canvas's scene: one frame per site holding the frames of the clusters that
// stand in it, one frame per cluster holding its fabric, its server pool (a type and a count,
// drawn as one block however many GPUs it has) and its storage systems, links between them
// labelled with what they carry, and the workloads under the clusters they run on. Built from the
// document's YAML tree, so it is drawn even while the scenario has a problem; the planned figures
// (switch counts, step times) are filled in when an estimate arrives.
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
  /// The site index of a site frame's path ("infrastructure.sites[2]"), -1 for anything else.
  static int siteIndexOf(const QString& key_path);
  /// Item counts, for tests and the benchmark.
  int blockCount() const { return static_cast<int>(blocks_.size()); }
  /// The frames of the sites, in file order.
  const std::vector<FrameItem*>& siteFrames() const { return site_frames_; }
  /// The frame of cluster `index` (nullptr when there is none).
  FrameItem* clusterFrame(int index) const;

 signals:
  void pathSelected(const QString& key_path);

 private:
  /// Builds cluster `index` as a frame at `pos`, inside `site` (a site frame) or at top level.
  FrameItem* buildCluster(int index, const YAML::Node& cluster, QPointF pos, FrameItem* site);
  /// Lays out the sites and their clusters, then the clusters without a site; returns each
  /// cluster's automatic x in the scene.
  std::vector<qreal> buildInfrastructure(const YAML::Node& root);
  void rememberPositions();
  void place(QGraphicsItem* item, const QString& key_path, QPointF automatic);
  QGraphicsItem* itemFor(const QString& key_path) const;

  ScenarioDocument* document_;
  std::vector<BlockItem*> blocks_;
  std::vector<FrameItem*> frames_;       ///< cluster frames, by cluster index
  std::vector<FrameItem*> site_frames_;  ///< site frames, by site index
  QHash<QString, QPointF> moved_;        ///< positions the user gave items, by key path
  QHash<QString, QPointF> automatic_;    ///< where the layout put them
  bool rebuilding_ = false;
};

}  // namespace capsim::studio
