// The palette of catalog entries to drag onto the canvas: server types (a new cluster, or a
// cluster's servers), switches (a fabric's switch), storage systems (added to a cluster) and
// models (a new training workload), grouped by kind, each with its full name and source as
// tooltip.
#pragma once

#include <QStandardItemModel>

#include "capsim/models/Catalog.hpp"

namespace capsim::studio {

class CatalogPaletteModel : public QStandardItemModel {
  Q_OBJECT
 public:
  enum Role { EntryRole = Qt::UserRole + 1 };  ///< "servers/dgx-h100"; empty for group rows

  explicit CatalogPaletteModel(const Catalog& catalog, QObject* parent = nullptr);
  QStringList mimeTypes() const override;
  QMimeData* mimeData(const QModelIndexList& indexes) const override;
};

}  // namespace capsim::studio
