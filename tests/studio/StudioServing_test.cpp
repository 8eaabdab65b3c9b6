// Inference services (workloads of kind inference) in the studio: the property tree lists their
// documented keys (not a training job's), the canvas draws each as a service attached to its
// cluster, and the live estimate carries the closed-form capacity capsim::run() plans for it.
#include <gtest/gtest.h>

#include <QDir>
#include <cmath>
#include <memory>

#include "CanvasItems.hpp"
#include "InfraScene.hpp"
#include "LiveEstimate.hpp"
#include "PropertyModel.hpp"
#include "ScenarioDocument.hpp"
#include "ShippedCatalog.hpp"

namespace capsim::studio {
namespace {

QStringList serving_scenarios() {
  QStringList files;
  const QDir dir(CAPSIM_SOURCE_DIR "/scenarios");
  for (const QString& name : dir.entryList({"serving-*.yaml"}, QDir::Files, QDir::Name)) {
    files << dir.filePath(name);
  }
  return files;
}

QStringList child_keys(const PropertyModel& model, const QModelIndex& parent) {
  QStringList keys;
  for (int row = 0; row < model.rowCount(parent); ++row) {
    keys << model.index(row, PropertyModel::KeyColumn, parent).data().toString();
  }
  return keys;
}

TEST(StudioServing, EveryServingScenarioShowsItsServices) {
  const auto catalog = std::make_shared<const Catalog>(capsim::test::shipped_catalog());
  const QStringList files = serving_scenarios();
  ASSERT_GE(files.size(), 2);
  for (const QString& path : files) {
    SCOPED_TRACE(path.toStdString());
    ScenarioDocument document(catalog);
    QString error;
    ASSERT_TRUE(document.load(path, &error)) << qPrintable(error);
    ASSERT_TRUE(document.scenario().has_value());
    const Scenario& scenario = *document.scenario();
    ASSERT_FALSE(scenario.services.empty());

    // The estimate: one entry per service, in file order, with the plan's figures.
    const EstimateSummary summary = estimate_scenario(scenario, 1);
    ASSERT_TRUE(summary.valid) << qPrintable(
        summary.problems.empty() ? QString() : summary.problems[0].message);
    ASSERT_EQ(summary.services.size(), scenario.services.size());
    for (std::size_t i = 0; i < summary.services.size(); ++i) {
      const ServiceEstimate& service = summary.services[i];
      EXPECT_EQ(service.name.toStdString(), scenario.services[i].name);
      EXPECT_GT(service.replica_requests_per_s, 0);
      // ServicePlan's definition: replicas for the peak = ceil(peak rate / one replica's rate).
      EXPECT_EQ(
          service.replicas_for_peak,
          static_cast<int>(std::ceil(service.peak_rate_per_s / service.replica_requests_per_s)));
    }

    // The canvas: a service block per service, linked to its cluster, showing that capacity.
    InfraScene scene(&document);
    scene.rebuild();
    scene.applyEstimate(summary);
    int drawn = 0;
    for (QGraphicsItem* item : scene.items()) {
      if (item->type() != BlockItem::Type) continue;
      const auto* block = static_cast<const BlockItem*>(item);
      if (!block->title().startsWith("Service · ")) continue;
      ++drawn;
      EXPECT_TRUE(block->lines().last().contains("req/s per replica"))
          << qPrintable(block->title());
    }
    EXPECT_EQ(drawn, static_cast<int>(scenario.services.size()));

    // The property tree (and the Workloads panel, which shows its `workloads` branch): a
    // service's keys are the inference table's, docs/scenario-format.md "(kind: inference)".
    PropertyModel model(&document);
    const QModelIndex workloads = model.indexOf("workloads");
    ASSERT_TRUE(workloads.isValid());
    for (int row = 0; row < model.rowCount(workloads); ++row) {
      const QModelIndex item = model.index(row, 0, workloads);
      const QString kind = document.value(QStringLiteral("workloads[%1].kind").arg(row));
      const QStringList keys = child_keys(model, item);
      if (kind != "inference") continue;
      EXPECT_TRUE(keys.contains("traffic"));
      EXPECT_TRUE(keys.contains("router"));  // documented, listed even where left out
      EXPECT_FALSE(keys.contains("global_batch"));
      EXPECT_FALSE(keys.contains("zero_stage"));
      const QModelIndex engine = model.indexOf(QStringLiteral("workloads[%1].engine").arg(row));
      ASSERT_TRUE(engine.isValid());
      EXPECT_TRUE(child_keys(model, engine).contains("max_batch_size"));
    }
  }
}

TEST(StudioServing, ATrainingJobAndAServiceInOneFileKeepTheirOwnFigures) {
  const auto catalog = std::make_shared<const Catalog>(capsim::test::shipped_catalog());
  ScenarioDocument document(catalog);
  QString error;
  ASSERT_TRUE(document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error));
  // A service after the quickstart's training job, on two of its four servers (the job takes
  // the other two), as docs/scenario-format.md's inference table spells it.
  ASSERT_TRUE(document.setValue("workloads[0].servers", "2"));
  ASSERT_TRUE(
      document.appendItem("workloads",
                          {"name: chat", "kind: inference", "cluster: lab", "model: llama-3.1-8b",
                           "servers: 2", "traffic:", "  pattern: poisson", "  rate: 2",
                           "  input_tokens: 1000", "  output_tokens: 200", "duration: 10min"},
                          "add a service"));
  ASSERT_TRUE(document.scenario().has_value())
      << qPrintable(document.parseProblem() ? document.parseProblem()->message : "");
  const EstimateSummary summary = estimate_scenario(*document.scenario(), 1);
  ASSERT_TRUE(summary.valid);
  ASSERT_EQ(summary.workloads.size(), 1u);
  ASSERT_EQ(summary.services.size(), 1u);
  // Each block shows the figures of its own entry, matched by name, not by list position.
  InfraScene scene(&document);
  scene.rebuild();
  scene.applyEstimate(summary);
  for (QGraphicsItem* item : scene.items()) {
    if (item->type() != BlockItem::Type) continue;
    const auto* block = static_cast<const BlockItem*>(item);
    if (block->title() == "Workload · finetune-8b") {
      EXPECT_TRUE(block->lines().last().startsWith("step ")) << qPrintable(block->lines().last());
    }
    if (block->title() == "Service · chat") {
      EXPECT_TRUE(block->lines().last().contains("req/s per replica"));
    }
  }
  // A planning problem of the service points at its entry, the second of the list: the 405B
  // model's bf16 weights (about 810 GB) do not fit in one 80 GB H100 at tp 1.
  ASSERT_TRUE(document.setValue("workloads[1].model", "llama-3.1-405b"));
  ASSERT_TRUE(document.scenario().has_value())
      << qPrintable(document.parseProblem() ? document.parseProblem()->message : "");
  const EstimateSummary broken = estimate_scenario(*document.scenario(), 2);
  EXPECT_FALSE(broken.valid);
  ASSERT_EQ(broken.problems.size(), 1u);
  EXPECT_TRUE(broken.problems[0].key_path.startsWith("workloads[1]"))
      << qPrintable(broken.problems[0].message);
}

}  // namespace
}  // namespace capsim::studio
