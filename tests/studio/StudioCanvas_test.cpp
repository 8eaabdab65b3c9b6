// The canvas: a server pool is one block whatever its size; palette drops, connections and
// deletions edit the scenario text, and undo gives the file back byte for byte.
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

}  // namespace
}  // namespace capsim::studio
