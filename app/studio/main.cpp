// capsim-studio: the desktop front end. `capsim-studio [SCENARIO] [--screenshot FILE.png]`.
#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QTimer>
#include <cstdio>

#include "CanvasView.hpp"
#include "LiveEstimate.hpp"
#include "MainWindow.hpp"
#include "capsim/models/Errors.hpp"
#include "capsim/sim/Run.hpp"

namespace {

constexpr int kScreenshotWidth = 1600;
constexpr int kScreenshotHeight = 1000;
constexpr int kScreenshotWaitMs = 15000;  // the estimate of the largest scenario, with margin

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("capsim-studio");
  QApplication::setOrganizationName("capsim");
  QApplication::setApplicationVersion(QString::fromStdString(capsim::capsim_version()));

  QCommandLineParser parser;
  parser.setApplicationDescription(
      "capsim-studio: lay out AI infrastructure, run it, compare designs");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("SCENARIO", "Scenario file to open (YAML)");
  QCommandLineOption screenshot("screenshot",
                                "Open the scenario, lay the window out at 1600x1000, write it as "
                                "a PNG and exit (works with QT_QPA_PLATFORM=offscreen)",
                                "FILE.png");
  QCommandLineOption catalog_dir("catalog",
                                 "Catalog folder (default: $CAPSIM_CATALOG_DIR or the "
                                 "built-in catalog)",
                                 "DIR");
  parser.addOption(screenshot);
  parser.addOption(catalog_dir);
  parser.process(app);

  std::shared_ptr<const capsim::Catalog> catalog;
  try {
    const std::string dir = parser.isSet(catalog_dir) ? parser.value(catalog_dir).toStdString()
                                                      : capsim::default_catalog_dir();
    catalog = std::make_shared<const capsim::Catalog>(capsim::load_catalog(dir));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 2;
  }

  capsim::studio::MainWindow window(catalog);
  const QStringList positional = parser.positionalArguments();
  if (!positional.isEmpty() && !window.openFile(positional.front(), parser.isSet(screenshot))) {
    std::fprintf(stderr, "error: cannot read %s\n", qPrintable(positional.front()));
    return 2;
  }
  if (!parser.isSet(screenshot)) {
    window.resize(kScreenshotWidth, kScreenshotHeight);
    window.show();
    QTimer::singleShot(0, &window, [&window] { window.fitCanvas(); });
    return app.exec();
  }

  // --screenshot: wait for the estimate so the status panel and canvas show their figures.
  const QString file = parser.value(screenshot);
  window.resize(kScreenshotWidth, kScreenshotHeight);
  window.show();
  int exit_code = 0;
  auto shoot = [&] {
    window.fitCanvas();
    QApplication::processEvents();
    if (!window.grab().save(file, "PNG")) {
      std::fprintf(stderr, "error: cannot write %s\n", qPrintable(file));
      exit_code = 2;
    }
    QApplication::exit(exit_code);
  };
  auto* estimate = window.estimate();
  QObject::connect(
      estimate, &capsim::studio::LiveEstimate::updated, &window,
      [&] { QTimer::singleShot(50, &window, shoot); }, Qt::SingleShotConnection);
  QTimer::singleShot(kScreenshotWaitMs, &window, shoot);
  app.exec();
  // The document was not edited: close without asking to save.
  return exit_code;
}
