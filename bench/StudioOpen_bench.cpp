// capsim-studio speed: opening the 16,384-GPU scenario and drawing the canvas (target: under
// 1 s), in the canvas alone and in the whole window (property tree, docks, one frame grabbed),
// and the live estimate that follows each edit (target: about 100 ms on the shipped scenarios):
// the edit with its re-parse, then capsim::run() at fidelity estimate. Offscreen platform; no
// window is shown.
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QGraphicsView>
#include <QImage>
#include <QPainter>
#include <QPixmap>
#include <memory>

#include "InfraScene.hpp"
#include "LiveEstimate.hpp"
#include "MainWindow.hpp"
#include "ScenarioDocument.hpp"

namespace {

const std::shared_ptr<const capsim::Catalog>& catalog() {
  static const auto loaded = std::make_shared<const capsim::Catalog>(
      capsim::load_catalog(CAPSIM_SOURCE_DIR "/models/catalog"));
  return loaded;
}

void open_and_draw(benchmark::State& state, const char* file) {
  for (auto _ : state) {
    capsim::studio::ScenarioDocument document(catalog());
    QString error;
    if (!document.load(file, &error)) state.SkipWithError(qPrintable(error));
    capsim::studio::InfraScene scene(&document);
    scene.rebuild();
    QGraphicsView view(&scene);
    view.resize(1100, 700);
    QImage image(1100, 700, QImage::Format_ARGB32_Premultiplied);
    QPainter painter(&image);
    view.render(&painter);
    benchmark::DoNotOptimize(image.bits());
  }
}

// What File > Open does, and the first frame of the whole window (1600x1000, as --screenshot).
void open_window(benchmark::State& state, const char* file) {
  for (auto _ : state) {
    capsim::studio::MainWindow window(catalog());
    window.resize(1600, 1000);
    if (!window.openFile(file, true)) state.SkipWithError("cannot open");
    window.fitCanvas();
    const QPixmap frame = window.grab();
    benchmark::DoNotOptimize(frame.cacheKey());
  }
}

// One keystroke's worth of work before the estimate panel can change (the 30 ms pause that
// gathers a burst of keystrokes comes on top): the text edit, its re-parse, the estimate.
void edit_then_estimate(benchmark::State& state, const char* file) {
  capsim::studio::ScenarioDocument document(catalog());
  QString error;
  document.load(file, &error);
  int value = 1;
  for (auto _ : state) {
    document.setValue("run.seed", QString::number(++value));
    auto summary = capsim::studio::estimate_scenario(*document.scenario(), value);
    if (!summary.valid) state.SkipWithError("estimate failed");
    benchmark::DoNotOptimize(summary.valid);
  }
}

// An edit of the infrastructure: the fabric's oversubscription changes (1:1, 1.01:1, ...
// 1.63:1, then again), so every estimate plans a fabric it has not planned among the last few.
void edit_fabric_then_estimate(benchmark::State& state, const char* file) {
  capsim::studio::ScenarioDocument document(catalog());
  QString error;
  document.load(file, &error);
  int step = 0;
  for (auto _ : state) {
    document.setValue("infrastructure.clusters[0].fabric.oversubscription",
                      QStringLiteral("%1:1").arg(1 + (step++ % 64) / 100.0));
    auto summary = capsim::studio::estimate_scenario(*document.scenario(), step);
    if (!summary.valid) state.SkipWithError("estimate failed");
    benchmark::DoNotOptimize(summary.valid);
  }
}

void estimate(benchmark::State& state, const char* file) {
  capsim::studio::ScenarioDocument document(catalog());
  QString error;
  document.load(file, &error);
  for (auto _ : state) {
    auto summary = capsim::studio::estimate_scenario(*document.scenario(), 1);
    benchmark::DoNotOptimize(summary.valid);
  }
}

void edit_and_parse(benchmark::State& state, const char* file) {
  capsim::studio::ScenarioDocument document(catalog());
  QString error;
  document.load(file, &error);
  int value = 1;
  for (auto _ : state) {
    document.setValue("run.seed", QString::number(++value));
    benchmark::DoNotOptimize(document.scenario().has_value());
  }
}

BENCHMARK_CAPTURE(open_and_draw, llama3_405b_16k,
                  CAPSIM_SOURCE_DIR "/scenarios/llama3-405b-16k-h100.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(open_window, llama3_405b_16k,
                  CAPSIM_SOURCE_DIR "/scenarios/llama3-405b-16k-h100.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(open_and_draw, quickstart, CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(edit_and_parse, llama3_405b_16k,
                  CAPSIM_SOURCE_DIR "/scenarios/llama3-405b-16k-h100.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(estimate, quickstart, CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(estimate, llama3_405b_16k,
                  CAPSIM_SOURCE_DIR "/scenarios/llama3-405b-16k-h100.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(estimate, serving_evening_peak,
                  CAPSIM_SOURCE_DIR "/scenarios/serving-evening-peak-h100.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(edit_then_estimate, quickstart, CAPSIM_SOURCE_DIR "/scenarios/quickstart.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(edit_then_estimate, llama3_405b_16k,
                  CAPSIM_SOURCE_DIR "/scenarios/llama3-405b-16k-h100.yaml")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(edit_fabric_then_estimate, llama3_405b_16k,
                  CAPSIM_SOURCE_DIR "/scenarios/llama3-405b-16k-h100.yaml")
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
