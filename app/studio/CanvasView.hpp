// The view on the infrastructure scene: zoom (Ctrl+wheel, +/-), pan (drag the background, or the
// middle button), rubber-band selection, Delete to remove the selected entries, Ctrl+G to group
// the selected clusters into a site, drops from the catalog palette, and Shift+drag from one block
// to another to connect them (a workload to the cluster it runs on, a storage system to another
// cluster's fabric).
#pragma once

#include <QGraphicsView>

#include "ScenarioDocument.hpp"

namespace capsim::studio {

class InfraScene;

/// MIME type of a palette entry: "KIND/ID" (e.g. "servers/dgx-h100").
inline constexpr const char* kCatalogMime = "application/x-capsim-catalog";

class CanvasView : public QGraphicsView {
  Q_OBJECT
 public:
  CanvasView(InfraScene* scene, ScenarioDocument* document, QWidget* parent = nullptr);

  void zoomBy(double factor);
  void fitAll();
  /// Deletes the selected entries from the scenario (one undo step each); a deleted site's
  /// clusters lose their `site` key in the same step.
  void deleteSelection();
  /// Groups the clusters of the selection (their frames or blocks inside them) into a site: the
  /// site whose frame is selected with them, else a new site added to the file. One undo step.
  bool groupSelection(QString* message = nullptr);
  /// The edit a palette drop of KIND/ID at a scene point makes (also used by tests).
  bool dropCatalogEntry(const QString& kind, const QString& id, QPointF scene_pos,
                        QString* message);
  /// The edit connecting the entry at `from_path` to the one at `to_path`.
  bool connectEntries(const QString& from_path, const QString& to_path, QString* message);

 signals:
  void message(const QString& text);

 protected:
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dragMoveEvent(QDragMoveEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  InfraScene* scene_;
  ScenarioDocument* document_;
  QString connect_from_;
  QGraphicsLineItem* connect_line_ = nullptr;
  bool panning_ = false;
  QPoint pan_start_;
};

}  // namespace capsim::studio
