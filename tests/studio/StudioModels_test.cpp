// The studio's item models pass QAbstractItemModelTester (Qt's consistency checks of the model
// contract), before and after edits that change values and the tree's shape.
#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QDir>
#include <QTreeView>
#include <functional>
#include <memory>

#include "CatalogPalette.hpp"
#include "KeyReference.hpp"
#include "ProblemModel.hpp"
#include "PropertyModel.hpp"
#include "RunPanel.hpp"
#include "ScenarioDocument.hpp"
#include "ShippedCatalog.hpp"
#include "TreeExpansion.hpp"

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
  // Shown as a person reads the table cell "`own` \| `rent`".
  EXPECT_EQ(model.indexOf("economics.ownership")
                .siblingAtColumn(PropertyModel::TypeColumn)
                .data()
                .toString(),
            "own | rent");
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

QStringList child_keys(const PropertyModel& model, const QModelIndex& parent) {
  QStringList keys;
  for (int row = 0; row < model.rowCount(parent); ++row) {
    keys << model.index(row, PropertyModel::KeyColumn, parent).data().toString();
  }
  return keys;
}

TEST_F(ModelTest, KeyReferenceReadsEverySectionOfTheFormatDocument) {
  const KeyReference& reference = KeyReference::shipped();
  auto names = [&](const QString& path, const QString& variant = {}) {
    QStringList out;
    for (const KeyDoc& doc : reference.keys(path, variant)) out << doc.key;
    return out;
  };
  // docs/scenario-format.md section 3, "Top level": seven keys; `infrastructure.clusters` is the
  // key `clusters` of `infrastructure` ("holds `sites` and `clusters`").
  EXPECT_EQ(names(""), QStringList({"name", "description", "infrastructure", "workloads",
                                    "economics", "targets", "run"}));
  EXPECT_EQ(names("infrastructure"), QStringList({"sites", "clusters"}));
  // A site's table: its economics is a catalog reference with overrides.
  EXPECT_EQ(names("infrastructure.sites[0]"),
            QStringList({"name", "location", "description", "economics"}));
  // A list item's `kind` picks its table: a training job has `global_batch`, a service `traffic`.
  EXPECT_TRUE(names("workloads[0]", "training").contains("global_batch"));
  EXPECT_FALSE(names("workloads[0]", "training").contains("traffic"));
  EXPECT_TRUE(names("workloads[0]", "inference").contains("traffic"));
  EXPECT_FALSE(names("workloads[0]", "inference").contains("global_batch"));
  // The service's sub-tables, introduced by "`engine` (...)" paragraphs, and its dotted keys.
  EXPECT_TRUE(names("workloads[0].engine", "inference").contains("kv_policy"));
  EXPECT_TRUE(names("workloads[0].traffic", "inference").contains("output_tokens"));
  EXPECT_TRUE(names("workloads[0].slo", "inference").contains("ttft_p99"));
  EXPECT_EQ(names("workloads[0].parallelism", "inference"), QStringList({"tp", "pp"}));
  EXPECT_TRUE(names("workloads[0].parallelism", "training").contains("vpp"));
  // The slo table has no default column: its meaning is not read as a default.
  const KeyDoc* goodput = reference.find("workloads[0].slo", "goodput", "inference");
  ASSERT_NE(goodput, nullptr);
  EXPECT_TRUE(goodput->fallback.isEmpty());
  EXPECT_EQ(goodput->type, "fraction");
}

TEST_F(ModelTest, PropertyTreeListsEachSectionsOwnKeys) {
  // Every entry's key path is its parent's path and its own key, and a greyed (absent) key is one
  // the documentation gives for that very section. The tree once listed the top-level keys under
  // `infrastructure` (a path read through a reference into a vector that had grown).
  const auto shared = catalog();
  const QDir dir(CAPSIM_SOURCE_DIR "/scenarios");
  for (const QString& name : dir.entryList({"*.yaml"}, QDir::Files, QDir::Name)) {
    SCOPED_TRACE(name.toStdString());
    ScenarioDocument document(shared);
    QString error;
    ASSERT_TRUE(document.load(dir.filePath(name), &error)) << qPrintable(error);
    PropertyModel model(&document);
    const std::function<void(const QModelIndex&, const QString&)> check =
        [&](const QModelIndex& parent, const QString& parent_path) {
          for (int row = 0; row < model.rowCount(parent); ++row) {
            const QModelIndex index = model.index(row, 0, parent);
            const QString path = index.data(PropertyModel::KeyPathRole).toString();
            const QString key = index.data().toString();
            if (key.startsWith('[')) {
              EXPECT_EQ(path, parent_path + key.section(' ', 0, 0));
            } else {
              EXPECT_EQ(path, parent_path.isEmpty() ? key : parent_path + "." + key);
            }
            check(index, path);
          }
        };
    check({}, {});
    if (name != "quickstart.yaml") continue;
    // quickstart.yaml: `infrastructure` holds `clusters`, then the documented `sites` it leaves
    // out (the documentation defines those two).
    EXPECT_EQ(child_keys(model, model.indexOf("infrastructure")),
              QStringList({"clusters", "sites"}));
    // Its cluster lists its keys in file order, then the documented ones it leaves out.
    EXPECT_EQ(child_keys(model, model.indexOf("infrastructure.clusters[0]")),
              QStringList({"name", "server", "count", "fabric", "storage", "site", "gpu", "nic",
                           "placement"}));
  }
  EXPECT_EQ(g_warnings, 0);
}

TEST_F(ModelTest, KeysOfASectionTheFileLeavesOutCanBeAdded) {
  ScenarioDocument document(catalog());
  QString error;
  ASSERT_TRUE(document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error));
  const std::string original = document.text();
  PropertyModel model(&document);
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
  // quickstart.yaml has `run` but no `run.variability`, and no `overlap` in its workload.
  const QModelIndex jitter = model.indexOf("run.variability.gpu_jitter");
  ASSERT_TRUE(jitter.isValid());
  EXPECT_EQ(jitter.data(PropertyModel::KeyPathRole).toString(), "run.variability.gpu_jitter");
  EXPECT_FALSE(jitter.data(PropertyModel::PresentRole).toBool());
  EXPECT_TRUE(model.setData(jitter.siblingAtColumn(PropertyModel::ValueColumn), "2%"));
  EXPECT_EQ(document.value("run.variability.gpu_jitter"), "2%");
  ASSERT_TRUE(document.scenario().has_value());
  EXPECT_DOUBLE_EQ(document.scenario()->run.variability.gpu_jitter, 0.02);
  const QModelIndex overlap = model.indexOf("workloads[0].overlap.tensor_parallel");
  ASSERT_TRUE(overlap.isValid());
  EXPECT_TRUE(model.setData(overlap.siblingAtColumn(PropertyModel::ValueColumn), "true"));
  ASSERT_TRUE(document.scenario().has_value());
  EXPECT_TRUE(document.scenario()->training[0].overlap_tp_comm);
  // Two undo steps give the file back byte for byte.
  document.undoStack()->undo();
  document.undoStack()->undo();
  EXPECT_EQ(document.text(), original);
  EXPECT_EQ(g_warnings, 0);
}

TEST_F(ModelTest, OpenBranchesStayOpenWhenAnEditChangesTheTreesShape) {
  ScenarioDocument document(catalog());
  QString error;
  ASSERT_TRUE(document.load(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", &error));
  PropertyModel model(&document);
  QTreeView view;
  view.setModel(&model);
  TreeExpansion expansion(&view, PropertyModel::KeyPathRole);
  const QStringList open{"workloads", "workloads[0]", "workloads[0].parallelism"};
  for (const QString& path : open) view.expand(model.indexOf(path));
  // Giving micro_batch a value turns a greyed row into a present one: a new tree (model reset).
  int resets = 0;
  QObject::connect(&model, &QAbstractItemModel::modelReset, [&] { ++resets; });
  ASSERT_TRUE(document.setValue("workloads[0].micro_batch", "2"));
  EXPECT_EQ(resets, 1);
  for (const QString& path : open)
    EXPECT_TRUE(view.isExpanded(model.indexOf(path))) << qPrintable(path);
  EXPECT_FALSE(view.isExpanded(model.indexOf("infrastructure")));
  EXPECT_EQ(QSet<QString>(open.begin(), open.end()), expansion.expandedPaths());
}

}  // namespace
}  // namespace capsim::studio
