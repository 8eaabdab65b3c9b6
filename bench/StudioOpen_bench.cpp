// capsim-studio speed: opening the 16,384-GPU scenario and drawing the canvas (target: under
// 1 s), and the live estimate that follows each edit (target: about 100 ms on the shipped
// scenarios). Offscreen platform; no window is shown.
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QGraphicsView>
#include <QImage>
#include <QPainter>
#include <memory>

#include "InfraScene.hpp"
#include "LiveEstimate.hpp"
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

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
