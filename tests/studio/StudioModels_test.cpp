// The studio's item models pass QAbstractItemModelTester (Qt's consistency checks of the model
// contract), before and after edits that change values and the tree's shape.
#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <memory>

#include "CatalogPalette.hpp"
#include "ProblemModel.hpp"
#include "PropertyModel.hpp"
#include "RunPanel.hpp"
#include "ScenarioDocument.hpp"
#include "ShippedCatalog.hpp"

namespace capsim::studio {
namespace {

// Counts the tester's complaints (it reports through qWarning in Warning mode).
int g_warnings = 0;
void count_warnings(QtMsgType type, const QMessageLogContext&, const QString& message) {
  if (type != QtDebugMsg && type != QtInfoMsg) {
    ++g_warnings;
    fprintf(stderr, "%s\n", qPrintable(message));
  }
}

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_warnings = 0;
    qInstallMessageHandler(count_warnings);
  }
  void TearDown() override { qInstallMessageHandler(nullptr); }
  static std::shared_ptr<const Catalog> catalog() {
    return std::make_shared<const Catalog>(capsim::test::shipped_catalog());
  }
};

TEST_F(ModelTest, PropertyModelPassesTheTesterThroughEdits) {
  ScenarioDocument document(catalog());
  QString error;
  ASSERT_TRUE(document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error))
      << qPrintable(error);
  PropertyModel model(&document);
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
  // A value edit keeps the shape; adding a key and a list item change it.
  const QModelIndex count = model.indexOf("infrastructure.clusters[0].count");
  ASSERT_TRUE(count.isValid());
  EXPECT_TRUE(model.setData(count.siblingAtColumn(PropertyModel::ValueColumn), "8"));
  EXPECT_EQ(document.value("infrastructure.clusters[0].count"), "8");
  const QModelIndex micro = model.indexOf("workloads[0].micro_batch");
  ASSERT_TRUE(micro.isValid());
  EXPECT_FALSE(micro.data(PropertyModel::PresentRole).toBool());  // documented, not in the file
  EXPECT_TRUE(model.setData(micro.siblingAtColumn(PropertyModel::ValueColumn), "1"));
  EXPECT_EQ(document.value("workloads[0].micro_batch"), "1");
  EXPECT_TRUE(document.appendItem("infrastructure.clusters[0].storage",
                                  {"system: ddn-ai400x2", "count: 2"}, "add"));
  document.undoStack()->undo();
  document.undoStack()->undo();
  EXPECT_EQ(g_warnings, 0);
}

TEST_F(ModelTest, PropertyModelShowsDocumentedUnits) {
  ScenarioDocument document(catalog());
  QString error;
  ASSERT_TRUE(document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error));
  PropertyModel model(&document);
  // docs/scenario-format.md: `seq_len` is a "whole number ≥ 1", `precision` "`bf16` \| `fp8`".
  const QModelIndex precision = model.indexOf("workloads[0].precision");
  EXPECT_EQ(precision.data(PropertyModel::ChoicesRole).toStringList(),
            QStringList({"bf16", "fp8"}));
  EXPECT_EQ(model.indexOf("infrastructure.clusters[0].server")
                .data(PropertyModel::CatalogKindRole)
                .toString(),
            "servers");
  // Validation as you type is the parser's verdict on that key.
  EXPECT_TRUE(model.validate("workloads[0].checkpoint.interval", "45min").isEmpty());
  EXPECT_FALSE(model.validate("workloads[0].checkpoint.interval", "45 parsecs").isEmpty());
  EXPECT_FALSE(model.validate("infrastructure.clusters[0].count", "-3").isEmpty());
  EXPECT_EQ(g_warnings, 0);
}

TEST_F(ModelTest, ProblemRunAndPaletteModelsPassTheTester) {
  ProblemModel problems;
  QAbstractItemModelTester problem_tester(&problems,
                                          QAbstractItemModelTester::FailureReportingMode::Warning);
  problems.setProblems({Problem{"a: 1:2: bad", "workloads[0].tokens", 1, 2, "parse"}});
  problems.setProblems({});
  RunListModel runs;
  QAbstractItemModelTester run_tester(&runs,
                                      QAbstractItemModelTester::FailureReportingMode::Warning);
  RunRecord record;
  record.number = 1;
  record.scenario_name = "x";
  runs.add(record);
  record.number = 2;
  runs.add(record);
  EXPECT_EQ(runs.rowCount(), 2);
  const auto shared = catalog();
  CatalogPaletteModel palette(*shared);
  QAbstractItemModelTester palette_tester(&palette,
                                          QAbstractItemModelTester::FailureReportingMode::Warning);
  EXPECT_EQ(palette.rowCount(), 4);  // servers, switches, storage, models
  EXPECT_EQ(g_warnings, 0);
}

}  // namespace
}  // namespace capsim::studio
