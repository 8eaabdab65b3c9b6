// The items drawn on the infrastructure canvas: blocks (a server pool, a fabric, a storage system,
// a workload), the frames that group a cluster's blocks and a site's clusters, and the labelled
// links between blocks.
//
// Every block and frame carries the key path of the scenario entry it stands for, so selection,
// deletion, drops and the problems list all speak in the scenario's own terms.
#pragma once

#include <QColor>
#include <QGraphicsItem>
#include <QString>
#include <QStringList>
#include <vector>

namespace capsim::studio {

enum class BlockKind { Cluster, ServerPool, Fabric, Storage, Workload };

/// The accent colour of a kind of block (header strip, palette icon).
QColor accent_color(BlockKind kind);

class LinkItem;

/// A rounded box with a coloured header (title) and a few lines of figures.
class BlockItem : public QGraphicsItem {
 public:
  BlockItem(BlockKind kind, QString key_path, QString title, QStringList lines, qreal width = 230);

  BlockKind kind() const { return kind_; }
  const QString& keyPath() const { return key_path_; }
  void setLines(const QStringList& lines);
  void setTitle(const QString& title);
  const QString& title() const { return title_; }
  const QStringList& lines() const { return lines_; }
  /// Replaces the last line (the one planned figures fill in).
  void setLastLine(const QString& line);
  /// Drawn with a red outline and the problem as tooltip.
  void setProblem(const QString& message);
  /// Small glyph of GPUs in servers drawn under the text (server pools).
  void setGlyph(int servers, int gpus_per_server);
  void addLink(LinkItem* link) { links_.push_back(link); }

  QRectF boundingRect() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
  enum { Type = UserType + 1 };
  int type() const override { return Type; }

 protected:
  QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

 private:
  qreal height() const;

  BlockKind kind_;
  QString key_path_;
  QString title_;
  QStringList lines_;
  QString problem_;
  qreal width_;
  int glyph_servers_ = 0;
  int glyph_gpus_ = 0;
  std::vector<LinkItem*> links_;
};

/// What a frame groups: a cluster's blocks (dashed), or a site's cluster frames (solid, tinted).
enum class FrameKind { Cluster, Site };

/// The frame around one cluster's blocks or one site's clusters; moving it moves the whole group.
class FrameItem : public QGraphicsItem {
 public:
  FrameItem(QString key_path, QString title, QSizeF size, FrameKind kind = FrameKind::Cluster);
  const QString& keyPath() const { return key_path_; }
  FrameKind frameKind() const { return kind_; }
  const QString& title() const { return title_; }
  /// A second header line (a site's electricity price and PUE).
  void setSubtitle(const QString& subtitle);
  const QString& subtitle() const { return subtitle_; }
  void setProblem(const QString& message);
  void setSize(QSizeF size);
  QSizeF size() const { return size_; }

  QRectF boundingRect() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
  enum { Type = UserType + 2 };
  int type() const override { return Type; }

 private:
  QString key_path_;
  QString title_;
  QString subtitle_;
  QString problem_;
  QSizeF size_;
  FrameKind kind_;
};

/// A line between two blocks with a label at its middle (what the link carries).
class LinkItem : public QGraphicsItem {
 public:
  LinkItem(BlockItem* from, BlockItem* to, QString label, bool dashed = false);
  /// Follows the blocks after one of them moved.
  void updatePosition();

  QRectF boundingRect() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  BlockItem* from_;
  BlockItem* to_;
  QString label_;
  bool dashed_;
  QPointF a_, b_;
};

}  // namespace capsim::studio
