// Every shipped scenario opens in the studio, takes an edit through the property model, saves,
// reloads to the same text and scenario, and undo gives back the original file byte for byte.
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <memory>

#include "InfraScene.hpp"
#include "LiveEstimate.hpp"
#include "PropertyModel.hpp"
#include "ScenarioDocument.hpp"
#include "ShippedCatalog.hpp"

namespace capsim::studio {
namespace {

QByteArray read_bytes(const QString& path) {
  QFile file(path);
  EXPECT_TRUE(file.open(QIODevice::ReadOnly)) << qPrintable(path);
  return file.readAll();
}

QStringList scenario_files() {
  QStringList files;
  const QDir dir(CAPSIM_SOURCE_DIR "/scenarios");
  for (const QString& name : dir.entryList({"*.yaml"}, QDir::Files, QDir::Name)) {
    files << dir.filePath(name);
  }
  return files;
}

TEST(StudioScenarios, EveryScenarioEditsSavesReloadsAndUndoes) {
  const auto catalog = std::make_shared<const Catalog>(capsim::test::shipped_catalog());
  const QStringList files = scenario_files();
  ASSERT_GE(files.size(), 4);
  QTemporaryDir out;
  ASSERT_TRUE(out.isValid());
  for (const QString& path : files) {
    SCOPED_TRACE(path.toStdString());
    ScenarioDocument document(catalog);
    QString error;
    ASSERT_TRUE(document.load(path, &error)) << qPrintable(error);
    ASSERT_TRUE(document.scenario().has_value())
        << qPrintable(document.parseProblem() ? document.parseProblem()->message : "");
    const QByteArray original = read_bytes(path);
    InfraScene scene(&document);
    scene.rebuild();
    EXPECT_GE(scene.blockCount(), 3);  // a fabric, a server pool and a workload at least

    // Edit a value through the property model, as the property editor does.
    PropertyModel model(&document);
    const std::string name = document.scenario()->name + "-edited";
    const QModelIndex name_row = model.indexOf("name");
    ASSERT_TRUE(name_row.isValid());
    ASSERT_TRUE(model.setData(name_row.siblingAtColumn(PropertyModel::ValueColumn),
                              QString::fromStdString(name)));
    ASSERT_TRUE(document.scenario().has_value());
    EXPECT_EQ(document.scenario()->name, name);
    EXPECT_TRUE(document.modified());

    // Save, reload: the same text, the same scenario; comments and order kept (the original
    // text is a prefix-and-suffix of the saved one around the edit).
    const QString saved = out.filePath(QFileInfo(path).fileName());
    ASSERT_TRUE(document.save(saved, &error)) << qPrintable(error);
    EXPECT_FALSE(document.modified());
    ScenarioDocument reloaded(catalog);
    ASSERT_TRUE(reloaded.load(saved, &error));
    EXPECT_EQ(reloaded.text(), document.text());
    ASSERT_TRUE(reloaded.scenario().has_value());
    EXPECT_EQ(reloaded.scenario()->name, name);
    for (const auto& line : QString::fromUtf8(original).split('\n')) {
      if (line.trimmed().startsWith('#')) {
        EXPECT_TRUE(QString::fromStdString(reloaded.text()).contains(line)) << qPrintable(line);
      }
    }

    // Undo restores the original file byte for byte, and so does saving it again.
    document.undoStack()->undo();
    EXPECT_EQ(QByteArray::fromStdString(document.text()), original);
    ASSERT_TRUE(document.save(saved, &error));
    EXPECT_EQ(read_bytes(saved), original);
  }
}

TEST(StudioScenarios, EstimateOfTheQuickstartMatchesTheHandCalculatedRentalRate) {
  const auto catalog = std::make_shared<const Catalog>(capsim::test::shipped_catalog());
  ScenarioDocument document(catalog);
  QString error;
  ASSERT_TRUE(document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error));
  const EstimateSummary summary = estimate_scenario(*document.scenario(), 1);
  ASSERT_TRUE(summary.valid);
  // 4 DGX H100 x 8 GPUs rented at lambda-h100-on-demand's $2.99 per GPU-hour: 32 x 2.99.
  EXPECT_TRUE(summary.rented);
  EXPECT_EQ(summary.gpus, 32);
  EXPECT_NEAR(summary.cost_usd_per_h, 32 * 2.99, 1e-9);
  ASSERT_EQ(summary.workloads.size(), 1u);
  // tokens/s is global_batch x seq_len / iteration time (64 x 8192 per step).
  EXPECT_NEAR(summary.workloads[0].tokens_per_s * summary.workloads[0].iteration_s, 64.0 * 8192,
              1e-6);
}

TEST(StudioScenarios, PlanningProblemsPointAtTheirEntry) {
  const auto catalog = std::make_shared<const Catalog>(capsim::test::shipped_catalog());
  ScenarioDocument document(catalog);
  QString error;
  ASSERT_TRUE(document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error));
  // tp 3 does not divide 32 GPUs: parses, but cannot be planned.
  ASSERT_TRUE(document.setValue("workloads[0].parallelism.tp", "3"));
  ASSERT_TRUE(document.scenario().has_value());
  const EstimateSummary summary = estimate_scenario(*document.scenario(), 1);
  EXPECT_FALSE(summary.valid);
  ASSERT_EQ(summary.problems.size(), 1u);
  EXPECT_EQ(summary.problems[0].key_path, "workloads[0].parallelism");
  // A bad unit is the parser's problem, located at its key and line.
  ASSERT_TRUE(document.setValue("workloads[0].checkpoint.interval", "30 parsecs"));
  ASSERT_TRUE(document.parseProblem().has_value());
  EXPECT_EQ(document.parseProblem()->key_path, "workloads[0].checkpoint.interval");
  EXPECT_EQ(document.parseProblem()->line, 30);  // quickstart.yaml line 30: checkpoint
}

}  // namespace
}  // namespace capsim::studio
