#include "CanvasItems.hpp"

#include <QFontMetricsF>
#include <QGraphicsScene>
#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <algorithm>
#include <cmath>

namespace capsim::studio {
namespace {

constexpr qreal kHeader = 24;
constexpr qreal kLine = 17;
constexpr qreal kPad = 8;
constexpr qreal kGlyphRow = 10;
const QColor kProblem(200, 40, 40);
const QColor kSelected(30, 110, 220);

// Where the segment from the rectangle's centre towards `toward` leaves the rectangle.
QPointF edge_point(const QRectF& rect, QPointF toward) {
  const QPointF c = rect.center();
  const qreal dx = toward.x() - c.x(), dy = toward.y() - c.y();
  if (std::abs(dx) < 1e-9 && std::abs(dy) < 1e-9) return c;
  const qreal sx = std::abs(dx) > 1e-9 ? (rect.width() / 2) / std::abs(dx) : 1e9;
  const qreal sy = std::abs(dy) > 1e-9 ? (rect.height() / 2) / std::abs(dy) : 1e9;
  const qreal s = std::min(sx, sy);
  return {c.x() + dx * s, c.y() + dy * s};
}

}  // namespace

QColor accent_color(BlockKind kind) {
  switch (kind) {
    case BlockKind::Cluster:
      return {96, 110, 130};
    case BlockKind::ServerPool:
      return {46, 104, 178};
    case BlockKind::Fabric:
      return {22, 138, 128};
    case BlockKind::Storage:
      return {196, 128, 24};
    case BlockKind::Workload:
      return {120, 72, 170};
  }
  return Qt::gray;
}

BlockItem::BlockItem(BlockKind kind, QString key_path, QString title, QStringList lines,
                     qreal width)
    : kind_(kind),
      key_path_(std::move(key_path)),
      title_(std::move(title)),
      lines_(std::move(lines)),
      width_(width) {
  // Scene position changes arrive also when the cluster frame around the block moves.
  setFlags(ItemIsSelectable | ItemIsMovable | ItemSendsGeometryChanges |
           ItemSendsScenePositionChanges);
  setCacheMode(DeviceCoordinateCache);
}

void BlockItem::setLines(const QStringList& lines) {
  if (lines == lines_) return;
  prepareGeometryChange();
  lines_ = lines;
  update();
}

void BlockItem::setLastLine(const QString& line) {
  if (lines_.isEmpty() || lines_.back() == line) return;
  lines_.back() = line;
  update();
}

void BlockItem::setTitle(const QString& title) {
  title_ = title;
  update();
}

void BlockItem::setProblem(const QString& message) {
  problem_ = message;
  setToolTip(message);
  update();
}

void BlockItem::setGlyph(int servers, int gpus_per_server) {
  prepareGeometryChange();
  glyph_servers_ = servers;
  glyph_gpus_ = gpus_per_server;
}

qreal BlockItem::height() const {
  return kHeader + kPad + kLine * static_cast<qreal>(lines_.size()) +
         (glyph_servers_ ? kGlyphRow + 6 : 0) + kPad / 2;
}

QRectF BlockItem::boundingRect() const { return QRectF(-2, -2, width_ + 4, height() + 4); }

void BlockItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  const QRectF box(0, 0, width_, height());
  const QColor accent = accent_color(kind_);
  const bool selected = option->state & QStyle::State_Selected;
  painter->setRenderHint(QPainter::Antialiasing);
  painter->setPen(
      QPen(problem_.isEmpty() ? (selected ? kSelected : QColor(150, 160, 172)) : kProblem,
           selected || !problem_.isEmpty() ? 2.2 : 1.0));
  painter->setBrush(QColor(252, 253, 255));
  painter->drawRoundedRect(box, 5, 5);
  // Header strip in the kind's colour.
  QPainterPath header;
  header.addRoundedRect(QRectF(0, 0, width_, kHeader), 5, 5);
  header.addRect(QRectF(0, kHeader / 2, width_, kHeader / 2));
  header.setFillRule(Qt::WindingFill);  // the overlap of the two shapes is filled too
  painter->fillPath(header, accent);
  QFont title_font = painter->font();
  title_font.setBold(true);
  painter->setFont(title_font);
  painter->setPen(Qt::white);
  const QFontMetricsF title_metrics(title_font);
  painter->drawText(QRectF(kPad, 0, width_ - 2 * kPad, kHeader), Qt::AlignVCenter | Qt::AlignLeft,
                    title_metrics.elidedText(title_, Qt::ElideRight, width_ - 2 * kPad));
  QFont body = painter->font();
  body.setBold(false);
  painter->setFont(body);
  const QFontMetricsF metrics(body);
  painter->setPen(QColor(40, 48, 60));
  qreal y = kHeader + kPad / 2;
  for (const QString& line : lines_) {
    painter->drawText(QRectF(kPad, y, width_ - 2 * kPad, kLine), Qt::AlignVCenter | Qt::AlignLeft,
                      metrics.elidedText(line, Qt::ElideRight, width_ - 2 * kPad));
    y += kLine;
  }
  if (glyph_servers_ > 0) {
    // One cell per server, as many as fit on a row; the count says the rest.
    const int cells = std::min(glyph_servers_, 32);
    const qreal cell = (width_ - 2 * kPad) / 32.0;
    painter->setPen(Qt::NoPen);
    painter->setBrush(accent.lighter(150));
    for (int i = 0; i < cells; ++i) {
      painter->drawRect(QRectF(kPad + i * cell, y + 3, cell - 1.5, kGlyphRow));
    }
    if (glyph_servers_ > cells) {
      painter->setPen(QColor(90, 100, 115));
      QFont small = body;
      small.setPointSizeF(body.pointSizeF() * 0.8);
      painter->setFont(small);
      painter->drawText(
          QRectF(kPad, y + 3, width_ - 2 * kPad, kGlyphRow + 2), Qt::AlignRight | Qt::AlignVCenter,
          QStringLiteral("1 of 32 cells ≈ %1 servers").arg(glyph_servers_ / 32.0, 0, 'f', 0));
    }
  }
}

QVariant BlockItem::itemChange(GraphicsItemChange change, const QVariant& value) {
  if (change == ItemPositionHasChanged || change == ItemScenePositionHasChanged) {
    for (LinkItem* link : links_) link->updatePosition();
  }
  return QGraphicsItem::itemChange(change, value);
}

FrameItem::FrameItem(QString key_path, QString title, QSizeF size, FrameKind kind)
    : key_path_(std::move(key_path)), title_(std::move(title)), size_(size), kind_(kind) {
  setFlags(ItemIsSelectable | ItemIsMovable);
  setZValue(kind == FrameKind::Site ? -2 : -1);  // a site's clusters are drawn over it
}

void FrameItem::setSubtitle(const QString& subtitle) {
  subtitle_ = subtitle;
  update();
}

void FrameItem::setProblem(const QString& message) {
  problem_ = message;
  setToolTip(message);
  update();
}

void FrameItem::setSize(QSizeF size) {
  prepareGeometryChange();
  size_ = size;
}

QRectF FrameItem::boundingRect() const {
  return QRectF(-2, -2, size_.width() + 4, size_.height() + 4);
}

void FrameItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
  const bool selected = option->state & QStyle::State_Selected;
  painter->setRenderHint(QPainter::Antialiasing);
  const bool site = kind_ == FrameKind::Site;
  const QColor normal = site ? QColor(70, 130, 90) : QColor(140, 150, 165);
  QPen pen(problem_.isEmpty() ? (selected ? kSelected : normal) : kProblem,
           selected || !problem_.isEmpty() || site ? 2.0 : 1.2,
           site ? Qt::SolidLine : Qt::DashLine);
  painter->setPen(pen);
  painter->setBrush(site ? QColor(232, 243, 234) : QColor(241, 244, 248));
  painter->drawRoundedRect(QRectF(QPointF(0, 0), size_), site ? 12 : 8, site ? 12 : 8);
  QFont font = painter->font();
  font.setBold(true);
  font.setPointSizeF(font.pointSizeF() * (site ? 1.25 : 1.1));
  painter->setFont(font);
  painter->setPen(site ? QColor(40, 90, 55) : QColor(60, 70, 85));
  const QRectF header(12, 6, size_.width() - 24, 22);
  painter->drawText(header, Qt::AlignLeft | Qt::AlignVCenter, title_);
  if (subtitle_.isEmpty()) return;
  font.setBold(false);
  font.setPointSizeF(font.pointSizeF() / 1.2);
  painter->setFont(font);
  painter->drawText(header, Qt::AlignRight | Qt::AlignVCenter, subtitle_);
}

LinkItem::LinkItem(BlockItem* from, BlockItem* to, QString label, bool dashed)
    : from_(from), to_(to), label_(std::move(label)), dashed_(dashed) {
  setZValue(-0.5);
  from_->addLink(this);
  to_->addLink(this);
  updatePosition();
}

void LinkItem::updatePosition() {
  prepareGeometryChange();
  const QRectF a = from_->sceneBoundingRect().adjusted(2, 2, -2, -2);
  const QRectF b = to_->sceneBoundingRect().adjusted(2, 2, -2, -2);
  a_ = edge_point(a, b.center());
  b_ = edge_point(b, a.center());
}

QRectF LinkItem::boundingRect() const {
  return QRectF(a_, b_).normalized().adjusted(-90, -20, 90, 20);
}

void LinkItem::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  painter->setRenderHint(QPainter::Antialiasing);
  QPen pen(QColor(90, 100, 115), 1.6, dashed_ ? Qt::DashLine : Qt::SolidLine);
  painter->setPen(pen);
  painter->drawLine(a_, b_);
  painter->setBrush(QColor(90, 100, 115));
  painter->drawEllipse(a_, 2.5, 2.5);
  painter->drawEllipse(b_, 2.5, 2.5);
  if (label_.isEmpty()) return;
  QFont font = painter->font();
  font.setPointSizeF(font.pointSizeF() * 0.85);
  painter->setFont(font);
  const QFontMetricsF metrics(font);
  const QPointF mid = (a_ + b_) / 2;
  QRectF box(0, 0, metrics.horizontalAdvance(label_) + 10, metrics.height() + 2);
  box.moveCenter(mid);
  painter->setPen(Qt::NoPen);
  painter->setBrush(QColor(255, 255, 255, 235));
  painter->drawRoundedRect(box, 3, 3);
  painter->setPen(QColor(50, 60, 75));
  painter->drawText(box, Qt::AlignCenter, label_);
}

}  // namespace capsim::studio
