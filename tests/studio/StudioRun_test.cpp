// Running from the studio: quickstart.yaml runs through the capsim child process, its results
// appear in the results view and the session list; --screenshot writes a 1600x1000 PNG.
#include <gtest/gtest.h>

#include <QImage>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>

#include "CompareView.hpp"
#include "LiveEstimate.hpp"
#include "MainWindow.hpp"
#include "ResultsView.hpp"
#include "RunController.hpp"
#include "RunPanel.hpp"
#include "ScenarioDocument.hpp"
#include "ShippedCatalog.hpp"

namespace capsim::studio {
namespace {

constexpr int kRunTimeoutMs = 120000;

TEST(StudioRun, ParsesTheProgressBarCapsimDraws) {
  // ProgressBar.cpp draws "\r[" + 30 columns + "] " + percent + "% " + stage + "\033[K".
  const auto [percent, stage] =
      parse_progress("\r[=============>                ] 45% simulating pretrain\033[K");
  EXPECT_EQ(percent, 45);
  EXPECT_EQ(stage, "simulating pretrain");
  EXPECT_EQ(parse_progress("no bar here").first, -1);
}

TEST(StudioRun, QuickstartRunsInAChildProcessAndItsResultsAppear) {
  qputenv("CAPSIM_EXECUTABLE", CAPSIM_BIN_DIR "/capsim");
  MainWindow window(std::make_shared<const Catalog>(capsim::test::shipped_catalog()));
  ASSERT_TRUE(window.openFile(CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", true));
  QSignalSpy finished(window.runs(), &RunPanel::runFinished);
  ASSERT_TRUE(window.runScenario());
  ASSERT_TRUE(finished.wait(kRunTimeoutMs));
  ASSERT_EQ(window.runs()->model()->rowCount(), 1);
  const RunRecord& run = window.runs()->model()->run(0);
  ASSERT_EQ(run.workloads.size(), 1u);
  // The child's figures are the in-process estimate's (same model, another process).
  const EstimateSummary estimate = estimate_scenario(*window.document()->scenario(), 1);
  EXPECT_NEAR(run.workloads[0].iteration_s, estimate.workloads[0].iteration_s, 1e-9);
  // Rented: 32 GPUs x $2.99/h (lambda-h100-on-demand).
  ASSERT_TRUE(run.clusters[0].rental_usd_per_h.has_value());
  EXPECT_NEAR(*run.clusters[0].rental_usd_per_h, 32 * 2.99, 1e-9);
  // Where the time goes adds up to the iteration (checkpoint I/O is outside it).
  double shares = 0;
  for (const auto& [label, seconds] : run.workloads[0].breakdown) {
    if (label != "checkpoint I/O") shares += seconds;
  }
  EXPECT_NEAR(shares, run.workloads[0].iteration_s, 1e-9 * run.workloads[0].iteration_s);
  EXPECT_TRUE(window.results()->headlineText().contains("finetune-8b"));

  // A second run with another global batch, then the two compared and exported.
  ASSERT_TRUE(window.document()->setValue("workloads[0].global_batch", "128"));
  ASSERT_TRUE(window.runScenario());
  ASSERT_TRUE(finished.wait(kRunTimeoutMs));
  ASSERT_EQ(window.runs()->model()->rowCount(), 2);
  window.comparison()->showRuns({window.runs()->model()->run(0), window.runs()->model()->run(1)});
  const auto rows = compare_rows({window.runs()->model()->run(0), window.runs()->model()->run(1)});
  EXPECT_EQ(rows[0].label, "iteration time");
  EXPECT_GT(rows[0].values[1], rows[0].values[0]);  // twice the batch, a longer iteration
  QTemporaryDir out;
  QString error;
  ASSERT_TRUE(window.comparison()->exportHtml(out.filePath("c.html"), &error)) << qPrintable(error);
  ASSERT_TRUE(window.comparison()->exportPdf(out.filePath("c.pdf"), &error)) << qPrintable(error);
  QFile pdf(out.filePath("c.pdf"));
  ASSERT_TRUE(pdf.open(QIODevice::ReadOnly));
  EXPECT_TRUE(pdf.read(5).startsWith("%PDF-"));
  window.document()->undoStack()->setClean();  // no save prompt
}

TEST(StudioRun, CancelStopsTheChild) {
  qputenv("CAPSIM_EXECUTABLE", CAPSIM_BIN_DIR "/capsim");
  MainWindow window(std::make_shared<const Catalog>(capsim::test::shipped_catalog()));
  ASSERT_TRUE(window.openFile(CAPSIM_SOURCE_DIR "/scenarios/llama3-405b-16k-h100.yaml", true));
  QSignalSpy failed(window.runs()->controller(), &RunController::failed);
  ASSERT_TRUE(window.runScenario());
  window.runs()->controller()->cancel();
  ASSERT_TRUE(failed.wait(kRunTimeoutMs));
  EXPECT_EQ(failed.front().front().toString(), "run cancelled");
  EXPECT_EQ(window.runs()->model()->rowCount(), 0);
}

TEST(StudioRun, ScreenshotWritesTheWindowAsAPng) {
  QTemporaryDir out;
  const QString png = out.filePath("studio.png");
  QProcess studio;
  studio.start(CAPSIM_BIN_DIR "/capsim-studio",
               {CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml", "--screenshot", png});
  ASSERT_TRUE(studio.waitForFinished(kRunTimeoutMs));
  EXPECT_EQ(studio.exitCode(), 0) << studio.readAllStandardError().toStdString();
  const QImage image(png);
  EXPECT_EQ(image.width(), 1600);
  EXPECT_EQ(image.height(), 1000);
}

}  // namespace
}  // namespace capsim::studio
