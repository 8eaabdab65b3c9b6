#include "CatalogPalette.hpp"

#include <QMimeData>

#include "CanvasItems.hpp"
#include "CanvasView.hpp"
#include "Format.hpp"

namespace capsim::studio {
namespace {

QStandardItem* group(const QString& title, BlockKind kind) {
  auto* item = new QStandardItem(title);
  item->setFlags(Qt::ItemIsEnabled);
  QFont font = item->font();
  font.setBold(true);
  item->setFont(font);
  item->setForeground(accent_color(kind));
  return item;
}

QStandardItem* entry(const QString& kind, const std::string& id, const QString& detail,
                     const std::string& name) {
  auto* item = new QStandardItem(QString::fromStdString(id) + "  ·  " + detail);
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
  item->setData(kind + "/" + QString::fromStdString(id), CatalogPaletteModel::EntryRole);
  item->setToolTip(QString::fromStdString(name) + "\n" + detail);
  return item;
}

}  // namespace

CatalogPaletteModel::CatalogPaletteModel(const Catalog& catalog, QObject* parent)
    : QStandardItemModel(parent) {
  setHorizontalHeaderLabels({tr("Catalog (drag onto the canvas)")});
  auto* servers = group(tr("Server types"), BlockKind::ServerPool);
  for (const auto& [id, spec] : catalog.servers) {
    servers->appendRow(entry(
        "servers", id,
        QStringLiteral("%1 × %2").arg(spec.gpus).arg(QString::fromStdString(spec.gpu)), spec.name));
  }
  auto* switches = group(tr("Switches"), BlockKind::Fabric);
  for (const auto& [id, spec] : catalog.switches) {
    switches->appendRow(
        entry("switches", id,
              QStringLiteral("%1 × %2").arg(spec.ports).arg(format_port(spec.port_bandwidth_Bps)),
              spec.name));
  }
  auto* storage = group(tr("Storage systems"), BlockKind::Storage);
  for (const auto& [id, spec] : catalog.storage) {
    if (spec.kind == "local-nvme") continue;  // drives inside servers, not on the fabric
    storage->appendRow(
        entry("storage", id, "read " + format_si(spec.read_Bps, Quantity::Bandwidth), spec.name));
  }
  auto* models = group(tr("Models (training workloads)"), BlockKind::Workload);
  for (const auto& [id, spec] : catalog.models) {
    models->appendRow(
        entry("models", id,
              QStringLiteral("%1 layers, hidden %2").arg(spec.layers).arg(spec.hidden), spec.name));
  }
  for (auto* item : {servers, switches, storage, models}) appendRow(item);
}

QStringList CatalogPaletteModel::mimeTypes() const { return {QString::fromLatin1(kCatalogMime)}; }

QMimeData* CatalogPaletteModel::mimeData(const QModelIndexList& indexes) const {
  for (const QModelIndex& index : indexes) {
    const QString entry = index.data(EntryRole).toString();
    if (entry.isEmpty()) continue;
    auto* data = new QMimeData;
    data->setData(kCatalogMime, entry.toUtf8());
    data->setText(entry);
    return data;
  }
  return nullptr;
}

}  // namespace capsim::studio
