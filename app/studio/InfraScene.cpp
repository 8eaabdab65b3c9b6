#include "InfraScene.hpp"

#include <QGraphicsView>

#include "Format.hpp"
#include "ScenarioText.hpp"

namespace capsim::studio {
namespace {

constexpr qreal kFrameWidth = 560;
constexpr qreal kClusterGap = 60;
constexpr qreal kBlockWidth = 250;
constexpr qreal kStorageWidth = 230;
constexpr qreal kWorkloadWidth = 260;
constexpr qreal kSiteHeader = 44;  // a site's title bar, above its clusters
constexpr qreal kSitePad = 16;
constexpr qreal kSiteMinWidth = 420;

// A scalar at `key` of a mapping, or the `id` of an inline-overridden entry ("server: {id: x}").
std::string text_of(const YAML::Node& map, const std::string& key, const std::string& fallback) {
  if (!map.IsMap()) return fallback;
  // find_node, not operator[]: a missing key must read as missing, not throw.
  const YAML::Node value = find_node(map, key);
  if (value.IsScalar()) return value.Scalar();
  const YAML::Node id = value.IsMap() ? find_node(value, "id") : YAML::Node();
  if (id.IsScalar()) return id.Scalar();
  return fallback;
}

double number_of(const YAML::Node& map, const std::string& key, double fallback) {
  const std::string text = text_of(map, key, "");
  if (text.empty()) return fallback;
  try {
    return parse_quantity(text, Quantity::Count);
  } catch (const std::exception&) {
    return fallback;
  }
}

// True when `prefix` is `path` or one of its enclosing entries.
bool encloses(const QString& prefix, const QString& path) {
  if (!path.startsWith(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

// A training job's block: model, purpose, layout and batch; the last line waits for the estimate.
QStringList training_lines(const YAML::Node& job) {
  QStringList lines{QString::fromStdString(text_of(job, "model", "(no model)")),
                    QString::fromStdString(text_of(job, "purpose", "pre-training"))};
  const YAML::Node parallel = find_node(job, "parallelism");
  lines << QStringLiteral("TP%1 PP%2 CP%3 · batch %4 × %5")
               .arg(number_of(parallel, "tp", 1))
               .arg(number_of(parallel, "pp", 1))
               .arg(number_of(parallel, "cp", 1))
               .arg(QString::fromStdString(text_of(job, "global_batch", "?")))
               .arg(QString::fromStdString(text_of(job, "seq_len", "?")));
  lines << QStringLiteral("step time: estimating…");
  return lines;
}

// An inference service's block: model and precision, replicas, traffic; the last line waits for
// the estimate's capacity.
QStringList service_lines(const YAML::Node& service) {
  QStringList lines{QString::fromStdString(text_of(service, "model", "(no model)")) + " · " +
                    QString::fromStdString(text_of(service, "precision", "bf16"))};
  const YAML::Node parallel = find_node(service, "parallelism");
  const YAML::Node autoscaler = find_node(service, "autoscaler");
  const YAML::Node split = find_node(service, "disaggregation");
  QString replicas = QStringLiteral("TP%1 · ").arg(number_of(parallel, "tp", 1));
  if (split.IsMap()) {
    const YAML::Node prefill = find_node(split, "prefill"), decode = find_node(split, "decode");
    replicas = QStringLiteral("prefill %1 × TP%2 · decode %3 × TP%4")
                   .arg(number_of(prefill, "replicas", 1))
                   .arg(number_of(prefill, "tp", 1))
                   .arg(number_of(decode, "replicas", 1))
                   .arg(number_of(decode, "tp", 1));
  } else if (autoscaler.IsMap()) {
    replicas += QStringLiteral("autoscaled %1..%2 replicas")
                    .arg(QString::fromStdString(text_of(autoscaler, "min_replicas", "1")),
                         QString::fromStdString(text_of(autoscaler, "max_replicas", "max")));
  } else {
    replicas += QString::fromStdString(text_of(service, "replicas", "all that fit")) + " replicas";
  }
  lines << replicas;
  const YAML::Node traffic = find_node(service, "traffic");
  const std::string pattern = text_of(traffic, "pattern", "?");
  QString load = QString::fromStdString(pattern) + " traffic";
  if (pattern == "poisson" || pattern == "bursty") {
    load += ", " + QString::fromStdString(text_of(traffic, "rate", "?")) + " req/s";
  }
  lines << load + " · " + QString::fromStdString(text_of(service, "duration", "1h"));
  lines << QStringLiteral("capacity: estimating…");
  return lines;
}

// What a site's frame says beside its name: the electricity price and PUE it sets, the catalog
// entry it names, or that the scenario's economics price it.
QString site_subtitle(const YAML::Node& site) {
  const YAML::Node economics = find_node(site, "economics");
  if (economics.IsScalar()) return "economics " + QString::fromStdString(economics.Scalar());
  if (!economics.IsMap()) return QStringLiteral("scenario economics");
  QStringList parts;
  const std::string price = text_of(economics, "electricity_price", "");
  const std::string pue = text_of(economics, "pue", "");
  if (!price.empty()) parts << QString::fromStdString(price);
  if (!pue.empty()) parts << "PUE " + QString::fromStdString(pue);
  if (parts.isEmpty()) parts << QStringLiteral("scenario economics, overridden");
  return parts.join(" · ");
}

int tiers_of(const std::string& kind) {
  if (kind == "single-switch") return 1;
  if (kind == "clos3") return 3;
  return 2;
}

}  // namespace

InfraScene::InfraScene(ScenarioDocument* document, QObject* parent)
    : QGraphicsScene(parent), document_(document) {
  setBackgroundBrush(QColor(250, 251, 253));
  connect(this, &QGraphicsScene::selectionChanged, this, [this] {
    if (!rebuilding_) emit pathSelected(selectedPath());
  });
}

int InfraScene::siteIndexOf(const QString& key_path) {
  static const QString kPrefix = QStringLiteral("infrastructure.sites[");
  if (!key_path.startsWith(kPrefix)) return -1;
  const int close = key_path.indexOf(']', kPrefix.size());
  return key_path.mid(kPrefix.size(), close - kPrefix.size()).toInt();
}

FrameItem* InfraScene::clusterFrame(int index) const {
  return index >= 0 && index < static_cast<int>(frames_.size())
             ? frames_[static_cast<std::size_t>(index)]
             : nullptr;
}

int InfraScene::clusterIndexOf(const QString& key_path) {
  static const QString kPrefix = QStringLiteral("infrastructure.clusters[");
  if (!key_path.startsWith(kPrefix)) return -1;
  const int close = key_path.indexOf(']', kPrefix.size());
  return key_path.mid(kPrefix.size(), close - kPrefix.size()).toInt();
}

void InfraScene::rememberPositions() {
  auto keep = [this](QGraphicsItem* item, const QString& path) {
    if (automatic_.contains(path) && automatic_.value(path) != item->pos()) {
      moved_[path] = item->pos();
    }
  };
  for (BlockItem* block : blocks_) keep(block, block->keyPath());
  for (FrameItem* frame : frames_) keep(frame, frame->keyPath());
  for (FrameItem* frame : site_frames_) keep(frame, frame->keyPath());
}

void InfraScene::place(QGraphicsItem* item, const QString& key_path, QPointF automatic) {
  automatic_[key_path] = automatic;
  item->setPos(moved_.value(key_path, automatic));
}

void InfraScene::rebuild() {
  rebuilding_ = true;
  const QString selected = selectedPath();
  rememberPositions();
  clear();
  blocks_.clear();
  frames_.clear();
  site_frames_.clear();
  automatic_.clear();
  const YAML::Node& root = document_->root();
  const YAML::Node clusters = find_node(root, "infrastructure.clusters");
  const std::vector<qreal> cluster_x = buildInfrastructure(root);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < cluster_x.size(); ++i) {
    names.push_back(text_of(clusters[i], "name", "cluster" + std::to_string(i)));
  }
  const YAML::Node workloads = find_node(root, "workloads");
  std::vector<int> per_cluster(names.size(), 0);
  if (workloads.IsSequence()) {
    for (std::size_t j = 0; j < workloads.size(); ++j) {
      const YAML::Node job = workloads[j];
      const std::string cluster = text_of(job, "cluster", names.empty() ? "" : names.front());
      int c = 0;
      while (c < static_cast<int>(names.size()) && names[static_cast<std::size_t>(c)] != cluster)
        ++c;
      const QString path = QStringLiteral("workloads[%1]").arg(j);
      const std::string name = text_of(job, "name", "workload" + std::to_string(j));
      auto* block = text_of(job, "kind", "training") == "inference"
                        ? new BlockItem(BlockKind::Workload, path,
                                        "Service · " + QString::fromStdString(name),
                                        service_lines(job), kWorkloadWidth)
                        : new BlockItem(BlockKind::Workload, path,
                                        "Workload · " + QString::fromStdString(name),
                                        training_lines(job), kWorkloadWidth);
      addItem(block);
      blocks_.push_back(block);
      const bool known = c < static_cast<int>(names.size());
      const int slot = known ? per_cluster[static_cast<std::size_t>(c)]++ : 0;
      // Under the cluster's frame, or under its site's frame when it stands in one.
      const FrameItem* frame = known ? frames_[static_cast<std::size_t>(c)] : nullptr;
      const QGraphicsItem* outer = frame && frame->parentItem() ? frame->parentItem() : frame;
      const qreal bottom = outer ? outer->sceneBoundingRect().bottom() : 0;
      place(block, path,
            QPointF((known ? cluster_x[static_cast<std::size_t>(c)] : 0) +
                        (slot % 2) * (kWorkloadWidth + 20) + 10,
                    bottom + 50 + (slot / 2) * 120));
      if (known) {
        for (BlockItem* pool : blocks_) {
          if (pool->kind() == BlockKind::ServerPool && clusterIndexOf(pool->keyPath()) == c) {
            const double servers = number_of(job, "servers", 0);
            addItem(new LinkItem(block, pool,
                                 servers > 0 ? QStringLiteral("runs on %1 servers").arg(servers)
                                             : QStringLiteral("runs on the cluster"),
                                 true));
          }
        }
      } else {
        block->setProblem(
            QStringLiteral("no cluster is named '%1'").arg(QString::fromStdString(cluster)));
      }
    }
  }
  setSceneRect(itemsBoundingRect().adjusted(-60, -60, 60, 60));
  if (document_->parseProblem()) setProblems({*document_->parseProblem()});
  if (!selected.isEmpty()) selectPath(selected);
  rebuilding_ = false;
}

std::vector<qreal> InfraScene::buildInfrastructure(const YAML::Node& root) {
  const YAML::Node clusters = find_node(root, "infrastructure.clusters");
  const YAML::Node sites = find_node(root, "infrastructure.sites");
  const std::size_t count = clusters.IsSequence() ? clusters.size() : 0;
  frames_.assign(count, nullptr);
  std::vector<qreal> cluster_x(count, 0);
  qreal x = 0;
  for (std::size_t s = 0; sites.IsSequence() && s < sites.size(); ++s) {
    const std::string name = text_of(sites[s], "name", "");
    const std::string location = text_of(sites[s], "location", "");
    const QString path = QStringLiteral("infrastructure.sites[%1]").arg(s);
    QString title = "Site · " + QString::fromStdString(name);
    if (!location.empty()) title += " (" + QString::fromStdString(location) + ")";
    auto* frame = new FrameItem(path, title, {kSiteMinWidth, 100}, FrameKind::Site);
    frame->setSubtitle(site_subtitle(sites[s]));
    addItem(frame);
    site_frames_.push_back(frame);
    place(frame, path, QPointF(x, 0));
    qreal inner_x = kSitePad, height = 60;
    for (std::size_t c = 0; c < count; ++c) {
      if (frames_[c] || name.empty() || text_of(clusters[c], "site", "") != name) continue;
      FrameItem* cluster =
          buildCluster(static_cast<int>(c), clusters[c], QPointF(inner_x, kSiteHeader), frame);
      cluster_x[c] = x + inner_x;
      inner_x += kFrameWidth + kClusterGap;
      height = std::max(height, cluster->size().height());
    }
    const qreal width = std::max(kSiteMinWidth, inner_x - kClusterGap + kSitePad);
    frame->setSize({width, kSiteHeader + height + kSitePad});
    x += width + kClusterGap;
  }
  for (std::size_t c = 0; c < count; ++c) {  // the clusters in no site (or an unknown one)
    if (frames_[c]) continue;
    buildCluster(static_cast<int>(c), clusters[c], QPointF(x, 0), nullptr);
    cluster_x[c] = x;
    x += kFrameWidth + kClusterGap;
  }
  return cluster_x;
}

FrameItem* InfraScene::buildCluster(int index, const YAML::Node& cluster, QPointF pos,
                                    FrameItem* site) {
  const Catalog& catalog = document_->catalog();
  const QString path = QStringLiteral("infrastructure.clusters[%1]").arg(index);
  const std::string name = text_of(cluster, "name", "cluster" + std::to_string(index));
  const std::string server_id = text_of(cluster, "server", "");
  const double count = number_of(cluster, "count", 1);
  const auto server = catalog.servers.find(server_id);
  const int gpus_per_server = server != catalog.servers.end() ? server->second.gpus : 0;
  const std::string gpu_id =
      text_of(cluster, "gpu", server != catalog.servers.end() ? server->second.gpu : "?");
  const std::string nic_id =
      text_of(cluster, "nic", server != catalog.servers.end() ? server->second.nic : "?");
  const int nics = server != catalog.servers.end() ? server->second.nics : 0;
  const auto nic = catalog.nics.find(nic_id);

  auto* frame =
      new FrameItem(path, "Cluster · " + QString::fromStdString(name), {kFrameWidth, 100});
  if (site) {
    frame->setParentItem(site);
  } else {
    addItem(frame);
  }
  frames_[static_cast<std::size_t>(index)] = frame;
  place(frame, path, pos);

  // Fabric.
  const YAML::Node fabric = find_node(cluster, "fabric");
  const std::string kind = text_of(fabric, "template", "leaf-spine");
  const std::string switch_id = text_of(fabric, "switch", "?");
  const auto sw = catalog.switches.find(switch_id);
  QStringList fabric_lines{QString::fromStdString(switch_id)};
  if (sw != catalog.switches.end()) {
    fabric_lines << QStringLiteral("%1 ports × %2 %3")
                        .arg(sw->second.ports)
                        .arg(format_port(sw->second.port_bandwidth_Bps))
                        .arg(QString::fromStdString(sw->second.technology));
  }
  fabric_lines << QStringLiteral("%1 tier%2 · oversubscription %3")
                      .arg(tiers_of(kind))
                      .arg(tiers_of(kind) > 1 ? "s" : "")
                      .arg(QString::fromStdString(text_of(fabric, "oversubscription", "1:1")));
  fabric_lines << QStringLiteral("switches: planning…");
  auto* fabric_block =
      new BlockItem(BlockKind::Fabric, path + ".fabric", "Fabric · " + QString::fromStdString(kind),
                    fabric_lines, kBlockWidth);
  fabric_block->setParentItem(frame);
  place(fabric_block, path + ".fabric", QPointF(16, 40));
  blocks_.push_back(fabric_block);

  // Server pool: one block whatever the count.
  QStringList pool_lines{
      QStringLiteral("%1 GPUs · %2")
          .arg(format_count(count * gpus_per_server), QString::fromStdString(gpu_id)),
      QStringLiteral("%1 GPUs per server, NVLink domain %2")
          .arg(gpus_per_server)
          .arg(server != catalog.servers.end() ? server->second.nvlink_domain_gpus : 0),
      QStringLiteral("%1 × %2 NIC per server (%3)")
          .arg(nics)
          .arg(nic != catalog.nics.end() ? format_port(nic->second.bandwidth_Bps) : "?")
          .arg(QString::fromStdString(nic_id))};
  auto* pool = new BlockItem(
      BlockKind::ServerPool, path + ".server",
      QStringLiteral("%1 × %2").arg(format_count(count), QString::fromStdString(server_id)),
      pool_lines, kBlockWidth);
  pool->setGlyph(static_cast<int>(count), gpus_per_server);
  pool->setParentItem(frame);
  place(pool, path + ".server", QPointF(16, 190));
  blocks_.push_back(pool);
  if (nic != catalog.nics.end()) {
    addItem(new LinkItem(pool, fabric_block,
                         QStringLiteral("%1 × %2").arg(format_count(count * nics),
                                                       format_port(nic->second.bandwidth_Bps))));
  }

  // Storage systems beside the fabric.
  qreal bottom = 190 + pool->boundingRect().height();
  const YAML::Node storage = find_node(cluster, "storage");
  if (storage.IsSequence()) {
    for (std::size_t s = 0; s < storage.size(); ++s) {
      const std::string system_id = text_of(storage[s], "system", "?");
      const double units = number_of(storage[s], "count", 1);
      const auto system = catalog.storage.find(system_id);
      QStringList lines{QString::fromStdString(system_id)};
      QString label;
      if (system != catalog.storage.end()) {
        const auto& spec = system->second;
        lines << QStringLiteral("read %1 · write %2")
                     .arg(format_si(units * spec.read_Bps, Quantity::Bandwidth),
                          format_si(units * spec.write_Bps, Quantity::Bandwidth));
        lines << QStringLiteral("%1 · %2").arg(
            format_si(units * spec.capacity_bytes, Quantity::Bytes),
            QString::fromStdString(spec.kind));
        label = QStringLiteral("%1 × %2").arg(format_count(units * spec.network_ports),
                                              format_port(spec.port_bandwidth_Bps));
      }
      const QString storage_path = path + QStringLiteral(".storage[%1]").arg(s);
      auto* block =
          new BlockItem(BlockKind::Storage, storage_path,
                        units == 1 ? QStringLiteral("Storage · 1 unit")
                                   : QStringLiteral("Storage · %1 units").arg(format_count(units)),
                        lines, kStorageWidth);
      block->setParentItem(frame);
      const qreal y = 40 + static_cast<qreal>(s) * 100;
      place(block, storage_path, QPointF(kFrameWidth - kStorageWidth - 16, y));
      bottom = std::max(bottom, y + block->boundingRect().height());
      blocks_.push_back(block);
      addItem(new LinkItem(block, fabric_block, label));
    }
  }
  frame->setSize({kFrameWidth, bottom + 16});
  return frame;
}

void InfraScene::setProblems(const std::vector<Problem>& problems) {
  for (BlockItem* block : blocks_) block->setProblem({});
  for (FrameItem* frame : frames_) frame->setProblem({});
  for (FrameItem* frame : site_frames_) frame->setProblem({});
  for (const Problem& problem : problems) {
    if (problem.key_path.isEmpty()) continue;
    QGraphicsItem* item = itemFor(problem.key_path);
    if (item && item->type() == BlockItem::Type) {
      static_cast<BlockItem*>(item)->setProblem(problem.message);
    } else if (item && item->type() == FrameItem::Type) {
      static_cast<FrameItem*>(item)->setProblem(problem.message);
    }
  }
}

void InfraScene::applyEstimate(const EstimateSummary& summary) {
  for (BlockItem* block : blocks_) {
    const int c = clusterIndexOf(block->keyPath());
    if (block->kind() == BlockKind::Fabric && c >= 0) {
      if (c >= static_cast<int>(summary.clusters.size())) {
        block->setLastLine(QStringLiteral("switches: not planned"));
        continue;
      }
      const auto& cluster = summary.clusters[static_cast<std::size_t>(c)];
      QString switches =
          QStringLiteral("switches: %1 leaf").arg(format_count(cluster.leaf_switches));
      if (cluster.spine_switches)
        switches += " · " + format_count(cluster.spine_switches) + " spine";
      if (cluster.core_switches) switches += " · " + format_count(cluster.core_switches) + " core";
      block->setLastLine(switches);
    } else if (block->kind() == BlockKind::Workload) {
      // By name: the summary lists training jobs and services apart, the file mixes them.
      const QString name = block->title().section(" · ", 1);
      const bool service = block->title().startsWith("Service");
      block->setLastLine(service ? QStringLiteral("capacity: not planned")
                                 : QStringLiteral("step time: not planned"));
      for (const auto& job : summary.workloads) {
        if (service || job.name != name) continue;
        block->setLastLine(
            QStringLiteral("step %1 · MFU %2")
                .arg(format_si(job.iteration_s, Quantity::Time), format_percent(job.mfu)));
      }
      for (const auto& figures : summary.services) {
        if (!service || figures.name != name) continue;
        block->setLastLine(QStringLiteral("%1 req/s per replica · peak needs %2")
                               .arg(figures.replica_requests_per_s, 0, 'g', 3)
                               .arg(figures.replicas_for_peak));
      }
    }
  }
}

QGraphicsItem* InfraScene::itemFor(const QString& key_path) const {
  QGraphicsItem* best = nullptr;
  int best_length = -1;
  auto consider = [&](QGraphicsItem* item, const QString& path) {
    if (encloses(path, key_path) && path.size() > best_length) {
      best = item;
      best_length = static_cast<int>(path.size());
    }
  };
  for (BlockItem* block : blocks_) consider(block, block->keyPath());
  for (FrameItem* frame : frames_) consider(frame, frame->keyPath());
  for (FrameItem* frame : site_frames_) consider(frame, frame->keyPath());
  return best;
}

void InfraScene::selectPath(const QString& key_path) {
  QGraphicsItem* item = itemFor(key_path);
  const bool was = rebuilding_;
  rebuilding_ = true;
  clearSelection();
  if (item) {
    item->setSelected(true);
    for (QGraphicsView* view : views()) view->ensureVisible(item, 40, 40);
  }
  rebuilding_ = was;
}

QString InfraScene::selectedPath() const {
  for (QGraphicsItem* item : selectedItems()) {
    if (item->type() == BlockItem::Type) return static_cast<BlockItem*>(item)->keyPath();
    if (item->type() == FrameItem::Type) return static_cast<FrameItem*>(item)->keyPath();
  }
  return {};
}

QGraphicsItem* InfraScene::entryAt(QPointF scene_pos) const {
  for (QGraphicsItem* item : items(scene_pos)) {
    if (item->type() == BlockItem::Type || item->type() == FrameItem::Type) return item;
  }
  return nullptr;
}

}  // namespace capsim::studio
