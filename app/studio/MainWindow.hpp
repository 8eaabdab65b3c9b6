// The studio's main window: the infrastructure canvas in the middle, the catalog palette on the
// left, the property editor and the live estimate on the right, problems, workloads and the
// session's runs at the bottom; results and comparisons in tabs beside the canvas.
#pragma once

#include <QMainWindow>
#include <QPointer>
#include <memory>

#include "capsim/models/Catalog.hpp"

class QTabWidget;
class QTreeView;
class QTableView;
class QLabel;
class QMenu;
class QToolBar;

namespace capsim::studio {

class ScenarioDocument;
class LiveEstimate;
class InfraScene;
class CanvasView;
class PropertyModel;
class ProblemModel;
class EstimatePanel;
class CatalogPaletteModel;
class RunPanel;
class ResultsView;
class CompareView;
class TreeExpansion;
struct EstimateSummary;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(std::shared_ptr<const Catalog> catalog, QWidget* parent = nullptr);
  ~MainWindow() override;

  /// Opens a scenario file; false (and a message box unless quiet) when it cannot be read.
  bool openFile(const QString& path, bool quiet = false);
  /// Saves to the current path (or asks for one).
  bool save();
  bool saveAs(const QString& path = {});

  ScenarioDocument* document() const { return document_; }
  LiveEstimate* estimate() const { return estimate_; }
  InfraScene* scene() const { return scene_; }
  CanvasView* canvas() const { return view_; }
  PropertyModel* properties() const { return property_model_; }
  ProblemModel* problems() const { return problem_model_; }
  EstimatePanel* estimatePanel() const { return estimate_panel_; }
  RunPanel* runs() const { return run_panel_; }
  ResultsView* results() const { return results_; }
  CompareView* comparison() const { return compare_; }
  /// Runs the scenario as it is in the editor (capsim run in a child process).
  bool runScenario();
  QTabWidget* tabs() const { return tabs_; }
  /// Fits the canvas to the window (after the first layout).
  void fitCanvas();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildActions();
  void buildDocks();
  void documentChanged();
  void estimateUpdated(const EstimateSummary& summary);
  void selectPath(const QString& key_path, QObject* origin);
  void updateTitle();
  void addRecent(const QString& path);
  void fillRecentMenu();
  bool confirmDiscard();
  void newScenario();
  /// The property tree's context menu: add a documented key the file leaves out, remove one.
  void propertyMenu(QTreeView* view, const QPoint& at);

  std::shared_ptr<const Catalog> catalog_;
  ScenarioDocument* document_;
  LiveEstimate* estimate_;
  InfraScene* scene_;
  CanvasView* view_;
  PropertyModel* property_model_;
  ProblemModel* problem_model_;
  CatalogPaletteModel* palette_model_;
  EstimatePanel* estimate_panel_;
  RunPanel* run_panel_ = nullptr;
  ResultsView* results_ = nullptr;
  CompareView* compare_ = nullptr;
  QTabWidget* tabs_;
  QTreeView* property_view_ = nullptr;
  QTreeView* workload_view_ = nullptr;
  TreeExpansion* property_expansion_ = nullptr;
  TreeExpansion* workload_expansion_ = nullptr;
  QTableView* problem_view_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  QLabel* status_label_ = nullptr;
  QToolBar* toolbar_ = nullptr;
  bool selecting_ = false;
};

}  // namespace capsim::studio
