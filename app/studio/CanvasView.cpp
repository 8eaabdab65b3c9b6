#include "CanvasView.hpp"

#include <QDragEnterEvent>
#include <QGraphicsLineItem>
#include <QKeyEvent>
#include <QMimeData>
#include <QScrollBar>
#include <algorithm>

#include "CanvasItems.hpp"
#include "InfraScene.hpp"
#include "ScenarioText.hpp"
#include "SiteGrouping.hpp"
#include "capsim/models/Scenario.hpp"

namespace capsim::studio {
namespace {

QString path_of(QGraphicsItem* item) {
  if (!item) return {};
  if (item->type() == BlockItem::Type) return static_cast<BlockItem*>(item)->keyPath();
  if (item->type() == FrameItem::Type) return static_cast<FrameItem*>(item)->keyPath();
  return {};
}

// The indices along a key path, for deleting later entries first.
std::vector<int> indices_of(const QString& path) {
  std::vector<int> out;
  for (const auto& part : split_key_path(path.toStdString())) {
    if (!part.empty() && std::isdigit(static_cast<unsigned char>(part[0])))
      out.push_back(std::stoi(part));
  }
  return out;
}

std::string cluster_name(const YAML::Node& root, int index) {
  const YAML::Node node =
      find_node(root, "infrastructure.clusters[" + std::to_string(index) + "].name");
  return node.IsScalar() ? node.Scalar() : "cluster" + std::to_string(index);
}

int list_size(const YAML::Node& root, const std::string& path) {
  const YAML::Node node = find_node(root, path);
  return node.IsSequence() ? static_cast<int>(node.size()) : 0;
}

// The text of a list item's mapping, dedented to column 0, one string per line.
std::vector<std::string> item_lines(const std::string& text, const YAML::Node& item) {
  const TextSpan span = node_span(text, item);
  const std::string body = text.substr(span.begin, span.end - span.begin);
  const std::size_t column = static_cast<std::size_t>(std::max(0, item.Mark().column));
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= body.size()) {
    const std::size_t end = std::min(body.find('\n', start), body.size());
    std::string line = body.substr(start, end - start);
    if (!lines.empty()) line.erase(0, std::min(column, line.find_first_not_of(' ')));
    if (!line.empty()) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

}  // namespace

CanvasView::CanvasView(InfraScene* scene, ScenarioDocument* document, QWidget* parent)
    : QGraphicsView(scene, parent), scene_(scene), document_(document) {
  setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
  setDragMode(QGraphicsView::RubberBandDrag);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
  setAcceptDrops(true);
}

void CanvasView::zoomBy(double factor) {
  const double current = transform().m11();
  const double next = std::clamp(current * factor, 0.1, 4.0);
  scale(next / current, next / current);
}

void CanvasView::fitAll() {
  fitInView(scene_->itemsBoundingRect().adjusted(-30, -30, 30, 30), Qt::KeepAspectRatio);
  if (transform().m11() > 1.0) setTransform(QTransform());  // never blow small scenes up
}

void CanvasView::wheelEvent(QWheelEvent* event) {
  if (event->modifiers() & Qt::ControlModifier) {
    zoomBy(event->angleDelta().y() > 0 ? 1.15 : 1 / 1.15);
    event->accept();
    return;
  }
  QGraphicsView::wheelEvent(event);
}

void CanvasView::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
    deleteSelection();
    return;
  }
  if (event->key() == Qt::Key_G && (event->modifiers() & Qt::ControlModifier)) {
    groupSelection();
    return;
  }
  if (event->key() == Qt::Key_Plus || event->key() == Qt::Key_Equal) return zoomBy(1.2);
  if (event->key() == Qt::Key_Minus) return zoomBy(1 / 1.2);
  QGraphicsView::keyPressEvent(event);
}

void CanvasView::mousePressEvent(QMouseEvent* event) {
  if (event->button() == Qt::MiddleButton) {
    panning_ = true;
    pan_start_ = event->pos();
    setCursor(Qt::ClosedHandCursor);
    return;
  }
  if (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier)) {
    connect_from_ = path_of(scene_->entryAt(mapToScene(event->pos())));
    if (!connect_from_.isEmpty()) {
      const QPointF start = mapToScene(event->pos());
      connect_line_ =
          scene_->addLine(QLineF(start, start), QPen(QColor(30, 110, 220), 2, Qt::DashLine));
      return;
    }
  }
  QGraphicsView::mousePressEvent(event);
}

void CanvasView::mouseMoveEvent(QMouseEvent* event) {
  if (panning_) {
    const QPoint delta = event->pos() - pan_start_;
    pan_start_ = event->pos();
    horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.x());
    verticalScrollBar()->setValue(verticalScrollBar()->value() - delta.y());
    return;
  }
  if (connect_line_) {
    QLineF line = connect_line_->line();
    line.setP2(mapToScene(event->pos()));
    connect_line_->setLine(line);
    return;
  }
  QGraphicsView::mouseMoveEvent(event);
}

void CanvasView::mouseReleaseEvent(QMouseEvent* event) {
  if (panning_) {
    panning_ = false;
    unsetCursor();
    return;
  }
  if (connect_line_) {
    const QPointF end = connect_line_->line().p2();
    delete connect_line_;
    connect_line_ = nullptr;
    const QString to = path_of(scene_->entryAt(end));
    QString text;
    if (!to.isEmpty() && to != connect_from_) {
      connectEntries(connect_from_, to, &text);
      emit message(text);
    }
    connect_from_.clear();
    return;
  }
  QGraphicsView::mouseReleaseEvent(event);
}

void CanvasView::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasFormat(kCatalogMime)) event->acceptProposedAction();
}

void CanvasView::dragMoveEvent(QDragMoveEvent* event) {
  if (event->mimeData()->hasFormat(kCatalogMime)) event->acceptProposedAction();
}

void CanvasView::dropEvent(QDropEvent* event) {
  const QString entry = QString::fromUtf8(event->mimeData()->data(kCatalogMime));
  const QString kind = entry.section('/', 0, 0), id = entry.section('/', 1);
  QString text;
  dropCatalogEntry(kind, id, mapToScene(event->position().toPoint()), &text);
  emit message(text);
  event->acceptProposedAction();
}

bool CanvasView::dropCatalogEntry(const QString& kind, const QString& id, QPointF scene_pos,
                                  QString* message) {
  const QString target = path_of(scene_->entryAt(scene_pos));
  const int cluster = InfraScene::clusterIndexOf(target);
  const QString base = QStringLiteral("infrastructure.clusters[%1]").arg(cluster);
  const Catalog& catalog = document_->catalog();
  const YAML::Node& root = document_->root();
  const std::string item = id.toStdString();
  auto done = [&](bool ok, const QString& what, const QString& error) {
    if (message) *message = ok ? what : error;
    return ok;
  };
  QString error;
  if (kind == "servers") {
    if (cluster >= 0) {
      return done(document_->setValue(base + ".server", id, &error),
                  "Cluster servers are now " + id, error);
    }
    const auto server = catalog.servers.find(item);
    if (server == catalog.servers.end()) return done(false, {}, "unknown server " + id);
    const auto nic = catalog.nics.find(server->second.nic);
    std::string switch_id;
    for (const auto& [candidate, spec] : catalog.switches) {
      if (nic != catalog.nics.end() && spec.technology == nic->second.technology &&
          spec.port_bandwidth_Bps >= nic->second.bandwidth_Bps) {
        switch_id = candidate;
        break;
      }
    }
    if (switch_id.empty() && !catalog.switches.empty()) switch_id = catalog.switches.begin()->first;
    const int n = list_size(root, "infrastructure.clusters");
    std::string name = "cluster" + std::to_string(n);
    const std::vector<std::string> lines{
        "name: " + name, "server: " + item,           "count: 1",
        "fabric:",       "  template: single-switch", "  switch: " + switch_id};
    return done(
        document_->appendItem("infrastructure.clusters", lines, "Add cluster of " + id, &error),
        "Added cluster " + QString::fromStdString(name), error);
  }
  if (kind == "switches") {
    if (cluster < 0)
      return done(false, {}, "Drop a switch on a cluster to use it as its fabric's switch");
    return done(document_->setValue(base + ".fabric.switch", id, &error),
                "Fabric switch is now " + id, error);
  }
  if (kind == "storage") {
    if (cluster < 0)
      return done(false, {}, "Drop a storage system on the cluster whose fabric it joins");
    return done(document_->appendItem(base + ".storage", {"system: " + item, "count: 1"},
                                      "Add storage " + id, &error),
                "Added storage " + id, error);
  }
  if (kind == "models") {
    const int clusters = list_size(root, "infrastructure.clusters");
    if (clusters == 0)
      return done(false, {}, "Add a cluster first: drop a server type on the canvas");
    const int on = cluster >= 0 ? cluster : 0;
    const auto model = catalog.models.find(item);
    const int seq_len = model != catalog.models.end() && model->second.max_seq_len > 0
                            ? std::min(4096, model->second.max_seq_len)
                            : 4096;
    const int n = list_size(root, "workloads");
    const std::string name = item + "-job" + std::to_string(n);
    const std::vector<std::string> lines{
        "name: " + name,    "kind: training", "cluster: " + cluster_name(root, on),
        "model: " + item,   "tokens: 1B",     "seq_len: " + std::to_string(seq_len),
        "global_batch: 256"};
    return done(document_->appendItem("workloads", lines,
                                      "Add workload " + QString::fromStdString(name), &error),
                "Added workload " + QString::fromStdString(name), error);
  }
  return done(false, {}, "Nothing to do with a " + kind + " entry on the canvas");
}

bool CanvasView::connectEntries(const QString& from_path, const QString& to_path,
                                QString* message) {
  const YAML::Node& root = document_->root();
  const int to_cluster = InfraScene::clusterIndexOf(to_path);
  auto done = [&](bool ok, const QString& text) {
    if (message) *message = text;
    return ok;
  };
  if (to_cluster < 0) return done(false, "Connect to a cluster (its frame, servers or fabric)");
  const QString name = QString::fromStdString(cluster_name(root, to_cluster));
  QString error;
  if (from_path.startsWith("workloads[")) {
    const QString job = from_path.left(from_path.indexOf(']') + 1);
    if (!document_->setValue(job + ".cluster", name, &error)) return done(false, error);
    return done(true, job + " now runs on " + name);
  }
  const int from_cluster = InfraScene::clusterIndexOf(from_path);
  if (from_path.contains(".storage[") && from_cluster != to_cluster) {
    try {
      const std::string path = from_path.toStdString();
      const auto lines = item_lines(document_->text(), find_node(root, path));
      const std::string removed = remove_entry(document_->text(), path);
      const std::string moved = append_item(
          removed, "infrastructure.clusters[" + std::to_string(to_cluster) + "].storage", lines);
      document_->replaceText(moved, "Move storage to " + name);
      return done(true, "Storage moved to " + name + "'s fabric");
    } catch (const std::exception& failure) {
      return done(false, QString::fromStdString(failure.what()));
    }
  }
  return done(false,
              "A workload connects to the cluster it runs on; a storage system to another "
              "cluster's fabric");
}

bool CanvasView::groupSelection(QString* message) {
  const YAML::Node& root = document_->root();
  std::vector<int> clusters;
  std::vector<int> sites;
  for (QGraphicsItem* item : scene_->selectedItems()) {
    const QString path = path_of(item);
    const int cluster = InfraScene::clusterIndexOf(path);
    if (cluster >= 0 && std::find(clusters.begin(), clusters.end(), cluster) == clusters.end())
      clusters.push_back(cluster);
    const int site = InfraScene::siteIndexOf(path);
    if (site >= 0 && std::find(sites.begin(), sites.end(), site) == sites.end())
      sites.push_back(site);
  }
  auto done = [&](bool ok, const QString& text) {
    if (message) *message = text;
    emit this->message(text);
    return ok;
  };
  if (clusters.empty()) return done(false, "Select the clusters to group into a site");
  if (sites.size() > 1) return done(false, "Select one site to move the clusters into");
  std::sort(clusters.begin(), clusters.end());
  const std::vector<std::string> names = site_names(root);
  const bool existing = !sites.empty() && sites.front() < static_cast<int>(names.size());
  const std::string site =
      existing ? names[static_cast<std::size_t>(sites.front())] : unused_site_name(root);
  try {
    const std::string text = group_into_site(document_->text(), clusters, site);
    const QString what = QStringLiteral("%1 cluster%2 %3 site %4")
                             .arg(clusters.size())
                             .arg(clusters.size() == 1 ? "" : "s")
                             .arg(existing ? "moved into" : "grouped into new")
                             .arg(QString::fromStdString(site));
    document_->replaceText(text, "Group: " + what);
    return done(true, what);
  } catch (const std::exception& failure) {
    return done(false, QString::fromStdString(failure.what()));
  }
}

void CanvasView::deleteSelection() {
  std::vector<QString> paths;
  for (QGraphicsItem* item : scene_->selectedItems()) {
    const QString path = path_of(item);
    if (path.endsWith(".fabric") || path.endsWith(".server")) {
      emit message(
          "A cluster needs its servers and fabric: delete the cluster (its frame) instead");
      continue;
    }
    if (!path.isEmpty()) paths.push_back(path);
  }
  if (paths.empty()) return;
  // A deleted site's clusters stand in no site afterwards (removing a key moves no index).
  const std::vector<std::string> sites = site_names(document_->root());
  const YAML::Node clusters = find_node(document_->root(), "infrastructure.clusters");
  std::vector<std::string> unsited;
  for (const QString& path : paths) {
    const int site = InfraScene::siteIndexOf(path);
    if (site < 0 || site >= static_cast<int>(sites.size()) || !path.endsWith(']')) continue;
    for (std::size_t c = 0; clusters.IsSequence() && c < clusters.size(); ++c) {
      const YAML::Node named = find_node(clusters[c], "site");
      if (named.IsScalar() && named.Scalar() == sites[static_cast<std::size_t>(site)]) {
        unsited.push_back("infrastructure.clusters[" + std::to_string(c) + "].site");
      }
    }
  }
  // Later entries first, so the indices of the others stay valid.
  std::sort(paths.begin(), paths.end(),
            [](const QString& a, const QString& b) { return indices_of(a) > indices_of(b); });
  std::string text = document_->text();
  try {
    for (const std::string& path : unsited) text = remove_entry(text, path);
    for (const QString& path : paths) text = remove_entry(text, path.toStdString());
  } catch (const std::exception& failure) {
    emit message(QString::fromStdString(failure.what()));
    return;
  }
  document_->replaceText(text, paths.size() == 1
                                   ? "Delete " + paths.front()
                                   : QStringLiteral("Delete %1 entries").arg(paths.size()));
  emit message(
      QStringLiteral("Deleted %1")
          .arg(paths.size() == 1 ? paths.front() : QString::number(paths.size()) + " entries"));
}

}  // namespace capsim::studio
