// The canvas: a server pool is one block whatever its size; sites are frames around their
// clusters; palette drops, connections, grouping and deletions edit the scenario text, and undo
// gives the file back byte for byte.
#include <gtest/gtest.h>

#include <QGraphicsItem>
#include <memory>

#include "CanvasItems.hpp"
#include "CanvasView.hpp"
#include "InfraScene.hpp"
#include "ScenarioDocument.hpp"
#include "ShippedCatalog.hpp"

namespace capsim::studio {
namespace {

struct Canvas {
  Canvas()
      : document(std::make_shared<const Catalog>(capsim::test::shipped_catalog())),
        scene(&document),
        view(&scene, &document) {
    QObject::connect(&document, &ScenarioDocument::changed, &scene, &InfraScene::rebuild);
  }
  QPointF centerOf(const QString& path) {
    for (QGraphicsItem* item : scene.items()) {
      if (item->type() == BlockItem::Type && static_cast<BlockItem*>(item)->keyPath() == path) {
        return item->sceneBoundingRect().center();
      }
    }
    ADD_FAILURE() << "no block " << qPrintable(path);
    return {};
  }
  ScenarioDocument document;
  InfraScene scene;
  CanvasView view;
};

TEST(StudioCanvas, SixteenThousandGpusAreOneBlock) {
  Canvas canvas;
  QString error;
  ASSERT_TRUE(
      canvas.document.load(CAPSIM_SOURCE_DIR "/scenarios/llama3-405b-16k-h100.yaml", &error));
  int pools = 0;
  for (QGraphicsItem* item : canvas.scene.items()) {
    if (item->type() != BlockItem::Type) continue;
    auto* block = static_cast<BlockItem*>(item);
    if (block->kind() == BlockKind::ServerPool) ++pools;
  }
  EXPECT_EQ(pools, 1);
  // fabric, server pool, storage, workload: 2,048 servers do not make 2,048 items.
  EXPECT_EQ(canvas.scene.blockCount(), 4);
  EXPECT_LT(canvas.scene.items().size(), 20);
}

TEST(StudioCanvas, DropsConnectionsAndDeletesEditTheTextAndUndo) {
  Canvas canvas;
  QString error;
  ASSERT_TRUE(canvas.document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error));
  const std::string original = canvas.document.text();
  QString message;

  // A storage system dropped on the cluster joins its fabric.
  ASSERT_TRUE(canvas.view.dropCatalogEntry("storage", "ddn-ai400x2-turbo",
                                           canvas.centerOf("infrastructure.clusters[0].server"),
                                           &message))
      << qPrintable(message);
  ASSERT_TRUE(canvas.document.scenario().has_value());
  ASSERT_EQ(canvas.document.scenario()->clusters[0].storage.size(), 2u);
  EXPECT_EQ(canvas.document.scenario()->clusters[0].storage[1].system.id, "ddn-ai400x2-turbo");

  // A server type dropped on empty canvas makes a new cluster; a model dropped on it a workload.
  ASSERT_TRUE(canvas.view.dropCatalogEntry("servers", "dgx-h100", QPointF(-5000, -5000), &message))
      << qPrintable(message);
  ASSERT_TRUE(canvas.document.scenario().has_value())
      << qPrintable(canvas.document.parseProblem()->message);
  ASSERT_EQ(canvas.document.scenario()->clusters.size(), 2u);
  ASSERT_TRUE(canvas.view.dropCatalogEntry(
      "models", "llama-3.1-8b", canvas.centerOf("infrastructure.clusters[1].server"), &message));
  ASSERT_TRUE(canvas.document.scenario().has_value());
  ASSERT_EQ(canvas.document.scenario()->training.size(), 2u);
  EXPECT_EQ(canvas.document.scenario()->training[1].cluster, "cluster1");

  // Connecting the first workload to the new cluster moves it there.
  ASSERT_TRUE(
      canvas.view.connectEntries("workloads[0]", "infrastructure.clusters[1].fabric", &message));
  EXPECT_EQ(canvas.document.scenario()->training[0].cluster, "cluster1");

  // Deleting the new storage entry.
  canvas.scene.selectPath("infrastructure.clusters[0].storage[1]");
  canvas.view.deleteSelection();
  ASSERT_TRUE(canvas.document.scenario().has_value());
  EXPECT_EQ(canvas.document.scenario()->clusters[0].storage.size(), 1u);

  // Five edits, five undos: the file as it was.
  EXPECT_EQ(canvas.document.undoStack()->count(), 5);
  while (canvas.document.undoStack()->canUndo()) canvas.document.undoStack()->undo();
  EXPECT_EQ(canvas.document.text(), original);
}

// scenarios/two-sites-h100.yaml: cluster west stands in site hyperscale, east in colocation.
TEST(StudioCanvas, SitesAreFramesAroundTheirClusters) {
  Canvas canvas;
  QString error;
  ASSERT_TRUE(canvas.document.load(CAPSIM_SOURCE_DIR "/scenarios/two-sites-h100.yaml", &error));
  const auto& sites = canvas.scene.siteFrames();
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0]->frameKind(), FrameKind::Site);
  EXPECT_EQ(sites[0]->title(), "Site · hyperscale (Hillsboro, Oregon)");
  // The frame says what the site changes: the file's electricity price and PUE, as written.
  EXPECT_EQ(sites[0]->subtitle(), "$0.077/kWh · PUE 1.1");
  for (int c = 0; c < 2; ++c) {
    FrameItem* cluster = canvas.scene.clusterFrame(c);
    ASSERT_NE(cluster, nullptr);
    EXPECT_EQ(cluster->parentItem(), sites[static_cast<std::size_t>(c)]);  // moves with its site
    EXPECT_TRUE(sites[static_cast<std::size_t>(c)]->sceneBoundingRect().contains(
        cluster->sceneBoundingRect()));
  }
  EXPECT_FALSE(sites[0]->sceneBoundingRect().intersects(sites[1]->sceneBoundingRect()));
  // Workloads sit under their cluster's site, not inside it.
  EXPECT_GT(canvas.centerOf("workloads[0]").y(), sites[0]->sceneBoundingRect().bottom());
  // A problem in a site's economics marks the site's frame.
  canvas.scene.selectPath("infrastructure.sites[1].economics.pue");
  EXPECT_EQ(canvas.scene.selectedPath(), "infrastructure.sites[1]");
}

TEST(StudioCanvas, GroupingClustersMakesOrFillsASiteAndUndoes) {
  Canvas canvas;
  QString error, message;
  ASSERT_TRUE(canvas.document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error));
  const std::string quickstart = canvas.document.text();
  // Nothing that belongs to a cluster selected: nothing to group, nothing edited.
  canvas.scene.clearSelection();
  EXPECT_FALSE(canvas.view.groupSelection(&message));
  EXPECT_EQ(canvas.document.undoStack()->count(), 0);

  // The server pool selected stands for its cluster: a new site is written into the file.
  canvas.scene.selectPath("infrastructure.clusters[0].server");
  ASSERT_TRUE(canvas.view.groupSelection(&message)) << qPrintable(message);
  ASSERT_TRUE(canvas.document.scenario().has_value())
      << qPrintable(canvas.document.parseProblem()->message);
  ASSERT_EQ(canvas.document.scenario()->sites.size(), 1u);
  EXPECT_EQ(canvas.document.scenario()->sites[0].name, "site1");
  EXPECT_EQ(canvas.document.scenario()->clusters[0].site, "site1");
  ASSERT_EQ(canvas.scene.siteFrames().size(), 1u);
  EXPECT_EQ(canvas.scene.clusterFrame(0)->parentItem(), canvas.scene.siteFrames()[0]);
  // Comments and everything else kept: the edit only added lines.
  EXPECT_NE(canvas.document.text().find("# catalog id; `capsim catalog servers` lists them"),
            std::string::npos);
  // A new site has the scenario's economics: the cluster costs exactly what it did.
  EXPECT_DOUBLE_EQ(canvas.document.scenario()->sites[0].economics.pue,
                   canvas.document.scenario()->economics.params.pue);
  canvas.document.undoStack()->undo();
  EXPECT_EQ(canvas.document.text(), quickstart);
  EXPECT_TRUE(canvas.scene.siteFrames().empty());

  // Two sites: east and the hyperscale site selected move east into hyperscale.
  ASSERT_TRUE(canvas.document.load(CAPSIM_SOURCE_DIR "/scenarios/two-sites-h100.yaml", &error));
  const std::string two_sites = canvas.document.text();
  canvas.scene.clearSelection();
  canvas.scene.clusterFrame(1)->setSelected(true);
  canvas.scene.siteFrames()[0]->setSelected(true);
  ASSERT_TRUE(canvas.view.groupSelection(&message)) << qPrintable(message);
  ASSERT_TRUE(canvas.document.scenario().has_value())
      << qPrintable(canvas.document.parseProblem()->message);
  EXPECT_EQ(canvas.document.scenario()->sites.size(), 2u);
  EXPECT_EQ(canvas.document.scenario()->clusters[1].site, "hyperscale");
  EXPECT_EQ(canvas.scene.clusterFrame(1)->parentItem(), canvas.scene.siteFrames()[0]);
  // $0.077/kWh at PUE 1.1 now prices east too.
  EXPECT_DOUBLE_EQ(
      cluster_tco(canvas.document.scenario()->clusters[1], canvas.document.scenario()->economics)
          .electricity_usd_per_kWh,
      0.077);

  // Deleting the hyperscale site (now holding both clusters): west and east keep running,
  // priced by the scenario's economics again.
  canvas.scene.clearSelection();
  canvas.scene.siteFrames()[0]->setSelected(true);
  canvas.view.deleteSelection();
  ASSERT_TRUE(canvas.document.scenario().has_value())
      << qPrintable(canvas.document.parseProblem()->message);
  EXPECT_EQ(canvas.document.scenario()->sites.size(), 1u);
  EXPECT_EQ(canvas.document.scenario()->clusters[0].site, "");
  EXPECT_EQ(canvas.document.scenario()->clusters[1].site, "");

  // Two edits, two undos: the file as it was.
  EXPECT_EQ(canvas.document.undoStack()->count(), 2);
  while (canvas.document.undoStack()->canUndo()) canvas.document.undoStack()->undo();
  EXPECT_EQ(canvas.document.text(), two_sites);
}

}  // namespace
}  // namespace capsim::studio
