#include "MainWindow.hpp"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

#include "CanvasView.hpp"
#include "CatalogPalette.hpp"
#include "CompareView.hpp"
#include "EstimatePanel.hpp"
#include "InfraScene.hpp"
#include "LiveEstimate.hpp"
#include "ProblemModel.hpp"
#include "PropertyDelegate.hpp"
#include "PropertyModel.hpp"
#include "ResultsView.hpp"
#include "RunPanel.hpp"
#include "ScenarioDocument.hpp"
#include "TreeExpansion.hpp"

namespace capsim::studio {
namespace {

constexpr int kMaxRecent = 8;

// What File > New starts from: one server, one switch, one job; every key documented.
const char* kNewScenario =
    R"(# A new scenario: drag server types, switches, storage and models from the catalog onto
# the canvas, or edit values in the property editor. Keys: docs/scenario-format.md.
name: untitled
description: ""

infrastructure:
  clusters:
    - name: cluster0
      server: dgx-h100
      count: 4
      fabric:
        template: single-switch
        switch: quantum-2-qm9700

workloads:
  - name: job0
    kind: training
    model: llama-3.1-8b
    tokens: 1B
    seq_len: 8192
    global_batch: 64
    parallelism: {tp: 2, pp: 1}

economics:
  ownership: own
)";

}  // namespace

MainWindow::MainWindow(std::shared_ptr<const Catalog> catalog, QWidget* parent)
    : QMainWindow(parent), catalog_(std::move(catalog)) {
  document_ = new ScenarioDocument(catalog_, this);
  estimate_ = new LiveEstimate(document_, this);
  scene_ = new InfraScene(document_, this);
  view_ = new CanvasView(scene_, document_);
  property_model_ = new PropertyModel(document_, this);
  problem_model_ = new ProblemModel(this);
  palette_model_ = new CatalogPaletteModel(*catalog_, this);
  estimate_panel_ = new EstimatePanel;

  tabs_ = new QTabWidget;
  tabs_->setDocumentMode(true);
  tabs_->addTab(view_, tr("Layout"));
  results_ = new ResultsView;
  tabs_->addTab(results_, tr("Results"));
  auto* compare_page = new QWidget;
  auto* compare_layout = new QVBoxLayout(compare_page);
  auto* export_row = new QHBoxLayout;
  auto* export_html = new QPushButton(tr("Export HTML…"));
  auto* export_pdf = new QPushButton(tr("Export PDF…"));
  export_row->addStretch();
  export_row->addWidget(export_html);
  export_row->addWidget(export_pdf);
  compare_ = new CompareView;
  compare_layout->addLayout(export_row);
  compare_layout->addWidget(compare_, 1);
  tabs_->addTab(compare_page, tr("Compare"));
  auto exporter = [this](bool pdf) {
    if (compare_->runCount() < 2) {
      QMessageBox::information(this, tr("Export"), tr("Compare two or more runs first."));
      return;
    }
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export comparison"), pdf ? "comparison.pdf" : "comparison.html",
        pdf ? tr("PDF (*.pdf)") : tr("HTML (*.html)"));
    if (path.isEmpty()) return;
    QString error;
    const bool ok = pdf ? compare_->exportPdf(path, &error) : compare_->exportHtml(path, &error);
    if (!ok) QMessageBox::warning(this, tr("Export"), error);
    statusBar()->showMessage(ok ? tr("Wrote %1").arg(path) : error, 5000);
  };
  connect(export_html, &QPushButton::clicked, this, [exporter] { exporter(false); });
  connect(export_pdf, &QPushButton::clicked, this, [exporter] { exporter(true); });
  run_panel_ = new RunPanel;
  setCentralWidget(tabs_);
  buildDocks();
  buildActions();

  connect(document_, &ScenarioDocument::changed, this, &MainWindow::documentChanged);
  connect(document_, &ScenarioDocument::pathChanged, this, &MainWindow::updateTitle);
  connect(document_->undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
  connect(estimate_, &LiveEstimate::updated, this, &MainWindow::estimateUpdated);
  connect(estimate_, &LiveEstimate::started, estimate_panel_, &EstimatePanel::showPending);
  connect(scene_, &InfraScene::pathSelected, this,
          [this](const QString& path) { selectPath(path, scene_); });
  connect(view_, &CanvasView::message, this,
          [this](const QString& text) { statusBar()->showMessage(text, 6000); });
  document_->reset(QString::fromUtf8(kNewScenario));
  updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
  setDockNestingEnabled(true);
  auto dock = [this](const QString& title, QWidget* widget, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(title);
    d->setWidget(widget);
    d->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(area, d);
    return d;
  };
  auto* palette = new QTreeView;
  palette->setModel(palette_model_);
  palette->setDragEnabled(true);
  palette->setDragDropMode(QAbstractItemView::DragOnly);
  palette->setHeaderHidden(true);
  palette->expandAll();
  palette->setIndentation(12);
  auto* palette_dock = dock(tr("Catalog"), palette, Qt::LeftDockWidgetArea);

  property_view_ = new QTreeView;
  property_view_->setModel(property_model_);
  property_view_->setItemDelegate(new PropertyDelegate(property_model_, property_view_));
  property_view_->setAlternatingRowColors(true);
  property_view_->setEditTriggers(QAbstractItemView::DoubleClicked |
                                  QAbstractItemView::EditKeyPressed |
                                  QAbstractItemView::SelectedClicked);
  property_view_->header()->setSectionResizeMode(QHeaderView::Interactive);
  property_view_->setColumnWidth(0, 150);
  property_view_->setColumnWidth(1, 150);
  connect(static_cast<PropertyDelegate*>(property_view_->itemDelegate()),
          &PropertyDelegate::validation, this, [this](const QString& message) {
            if (message.isEmpty()) {
              statusBar()->clearMessage();
            } else {
              statusBar()->showMessage(tr("Not accepted: %1").arg(message));
            }
          });
  connect(property_view_->selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this](const QModelIndex& current) {
            selectPath(current.data(PropertyModel::KeyPathRole).toString(), property_view_);
          });
  property_expansion_ = new TreeExpansion(property_view_, PropertyModel::KeyPathRole);
  property_view_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(property_view_, &QWidget::customContextMenuRequested, this,
          [this](const QPoint& at) { propertyMenu(property_view_, at); });
  auto* properties_dock = dock(tr("Properties"), property_view_, Qt::RightDockWidgetArea);
  auto* estimate_dock = dock(tr("Estimate"), estimate_panel_, Qt::RightDockWidgetArea);
  splitDockWidget(properties_dock, estimate_dock, Qt::Vertical);

  problem_view_ = new QTableView;
  problem_view_->setModel(problem_model_);
  problem_view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  problem_view_->horizontalHeader()->setStretchLastSection(true);
  problem_view_->verticalHeader()->hide();
  problem_view_->setColumnWidth(0, 260);
  problem_view_->setWordWrap(true);
  connect(problem_view_, &QTableView::clicked, this, [this](const QModelIndex& index) {
    selectPath(index.data(ProblemModel::KeyPathRole).toString(), nullptr);
  });
  auto* problems_dock = dock(tr("Problems"), problem_view_, Qt::BottomDockWidgetArea);

  workload_view_ = new QTreeView;
  workload_view_->setModel(property_model_);
  workload_view_->setItemDelegate(new PropertyDelegate(property_model_, workload_view_));
  workload_view_->setAlternatingRowColors(true);
  workload_view_->setColumnWidth(0, 170);
  workload_view_->setColumnWidth(1, 170);
  workload_expansion_ = new TreeExpansion(workload_view_, PropertyModel::KeyPathRole);
  workload_view_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(workload_view_, &QWidget::customContextMenuRequested, this,
          [this](const QPoint& at) { propertyMenu(workload_view_, at); });
  auto* workloads_dock = dock(tr("Workloads"), workload_view_, Qt::BottomDockWidgetArea);
  auto* runs_dock = dock(tr("Runs"), run_panel_, Qt::BottomDockWidgetArea);
  tabifyDockWidget(problems_dock, workloads_dock);
  tabifyDockWidget(workloads_dock, runs_dock);
  connect(run_panel_, &RunPanel::runFinished, this, [this](const RunRecord& record) {
    results_->showRun(record);
    tabs_->setCurrentWidget(results_);
  });
  connect(run_panel_, &RunPanel::runSelected, this, [this](const RunRecord& record) {
    results_->showRun(record);
    tabs_->setCurrentWidget(results_);
  });
  connect(run_panel_, &RunPanel::compareRequested, this,
          [this](const std::vector<RunRecord>& runs) {
            if (runs.size() < 2) {
              statusBar()->showMessage(tr("Select two or more runs (Ctrl+click) to compare"), 5000);
              return;
            }
            compare_->showRuns(runs);
            tabs_->setCurrentIndex(2);
          });
  connect(run_panel_, &RunPanel::runningChanged, this, [runs_dock](bool running) {
    if (running) runs_dock->raise();
  });
  problems_dock->raise();
  resizeDocks({palette_dock, properties_dock}, {250, 400}, Qt::Horizontal);
  resizeDocks({problems_dock}, {170}, Qt::Vertical);
  resizeDocks({properties_dock, estimate_dock}, {430, 330}, Qt::Vertical);
}

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu(tr("&File"));
  auto* toolbar = addToolBar(tr("Main"));
  toolbar->setObjectName("main-toolbar");
  toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
  auto add = [&](QMenu* menu, const QString& text, QKeySequence keys, auto slot, bool on_toolbar) {
    auto* action = new QAction(text, this);
    action->setShortcut(keys);
    connect(action, &QAction::triggered, this, slot);
    menu->addAction(action);
    if (on_toolbar) toolbar->addAction(action);
    return action;
  };
  add(
      file, tr("&New"), QKeySequence::New, [this] { newScenario(); }, true);
  add(
      file, tr("&Open…"), QKeySequence::Open,
      [this] {
        if (!confirmDiscard()) return;
        const QString path = QFileDialog::getOpenFileName(this, tr("Open scenario"), {},
                                                          tr("Scenarios (*.yaml *.yml)"));
        if (!path.isEmpty()) openFile(path);
      },
      true);
  recent_menu_ = file->addMenu(tr("Open &Recent"));
  fillRecentMenu();
  add(
      file, tr("&Save"), QKeySequence::Save, [this] { save(); }, true);
  add(
      file, tr("Save &As…"), QKeySequence::SaveAs, [this] { saveAs(); }, false);
  file->addSeparator();
  add(
      file, tr("&Quit"), QKeySequence::Quit, [this] { close(); }, false);

  auto* edit = menuBar()->addMenu(tr("&Edit"));
  toolbar->addSeparator();
  QAction* undo = document_->undoStack()->createUndoAction(this, tr("&Undo"));
  undo->setShortcut(QKeySequence::Undo);
  QAction* redo = document_->undoStack()->createRedoAction(this, tr("&Redo"));
  redo->setShortcut(QKeySequence::Redo);
  edit->addAction(undo);
  edit->addAction(redo);
  toolbar->addAction(undo);
  toolbar->addAction(redo);
  add(
      edit, tr("&Delete selected"), QKeySequence::Delete, [this] { view_->deleteSelection(); },
      false);
  add(
      edit, tr("&Group into site"), QKeySequence(Qt::CTRL | Qt::Key_G),
      [this] { view_->groupSelection(); }, false);

  auto* view = menuBar()->addMenu(tr("&View"));
  toolbar->addSeparator();
  add(
      view, tr("Zoom &in"), QKeySequence::ZoomIn, [this] { view_->zoomBy(1.2); }, true);
  add(
      view, tr("Zoom &out"), QKeySequence::ZoomOut, [this] { view_->zoomBy(1 / 1.2); }, true);
  add(
      view, tr("&Fit"), QKeySequence(Qt::CTRL | Qt::Key_0), [this] { fitCanvas(); }, true);
  toolbar->addSeparator();
  auto* run = menuBar()->addMenu(tr("&Run"));
  QAction* start = add(
      run, tr("&Run"), QKeySequence(Qt::Key_F5), [this] { runScenario(); }, true);
  QAction* cancel = add(
      run, tr("&Cancel run"), QKeySequence(Qt::Key_Escape),
      [this] { run_panel_->controller()->cancel(); }, true);
  cancel->setEnabled(false);
  connect(run_panel_, &RunPanel::runningChanged, this, [start, cancel](bool running) {
    start->setEnabled(!running);
    cancel->setEnabled(running);
  });
  auto* toolbar_progress = new QProgressBar;
  toolbar_progress->setMaximumWidth(220);
  toolbar_progress->setRange(0, 100);
  toolbar_progress->setValue(0);
  toolbar->addWidget(toolbar_progress);
  connect(run_panel_->controller(), &RunController::progress, toolbar_progress,
          &QProgressBar::setValue);
  toolbar_ = toolbar;
  status_label_ = new QLabel;
  statusBar()->addPermanentWidget(status_label_);
}

bool MainWindow::runScenario() {
  if (!run_panel_->run(document_->text(), document_->path())) {
    statusBar()->showMessage(tr("A run is already in progress"), 4000);
    return false;
  }
  statusBar()->showMessage(tr("Running %1 through capsim…").arg(windowTitle()), 3000);
  return true;
}

void MainWindow::newScenario() {
  if (!confirmDiscard()) return;
  document_->reset(QString::fromUtf8(kNewScenario));
  fitCanvas();
}

bool MainWindow::openFile(const QString& path, bool quiet) {
  QString error;
  if (!document_->load(path, &error)) {
    if (!quiet) QMessageBox::warning(this, tr("Open scenario"), error);
    return false;
  }
  addRecent(QFileInfo(path).absoluteFilePath());
  fitCanvas();
  return true;
}

bool MainWindow::save() {
  if (document_->path().isEmpty()) return saveAs();
  QString error;
  if (!document_->save(document_->path(), &error)) {
    QMessageBox::warning(this, tr("Save scenario"), error);
    return false;
  }
  statusBar()->showMessage(tr("Saved %1").arg(document_->path()), 4000);
  return true;
}

bool MainWindow::saveAs(const QString& chosen) {
  QString path = chosen;
  if (path.isEmpty()) {
    path = QFileDialog::getSaveFileName(this, tr("Save scenario as"), document_->path(),
                                        tr("Scenarios (*.yaml)"));
  }
  if (path.isEmpty()) return false;
  QString error;
  if (!document_->save(path, &error)) {
    QMessageBox::warning(this, tr("Save scenario"), error);
    return false;
  }
  addRecent(QFileInfo(path).absoluteFilePath());
  return true;
}

void MainWindow::addRecent(const QString& path) {
  QSettings settings;
  QStringList recent = settings.value("recentFiles").toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue("recentFiles", recent);
  fillRecentMenu();
}

void MainWindow::fillRecentMenu() {
  recent_menu_->clear();
  const QStringList recent = QSettings().value("recentFiles").toStringList();
  for (const QString& path : recent) {
    recent_menu_->addAction(QFileInfo(path).fileName() + "  (" + QFileInfo(path).path() + ")", this,
                            [this, path] {
                              if (confirmDiscard()) openFile(path);
                            });
  }
  recent_menu_->setEnabled(!recent.isEmpty());
}

bool MainWindow::confirmDiscard() {
  if (!document_->modified()) return true;
  const auto answer = QMessageBox::question(
      this, tr("Unsaved changes"), tr("Save the changes to %1 first?").arg(windowTitle()),
      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Save) return save();
  return answer == QMessageBox::Discard;
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (confirmDiscard()) {
    event->accept();
  } else {
    event->ignore();
  }
}

void MainWindow::updateTitle() {
  const QString name =
      document_->path().isEmpty() ? tr("untitled.yaml") : QFileInfo(document_->path()).fileName();
  setWindowTitle(name + (document_->modified() ? " *" : "") + " — capsim-studio");
}

void MainWindow::documentChanged() {
  // The property tree's open branches were kept through the model's reset (TreeExpansion).
  scene_->rebuild();
  std::vector<Problem> problems;
  if (document_->parseProblem()) problems.push_back(*document_->parseProblem());
  problem_model_->setProblems(problems);
  if (property_expansion_->expandedPaths().isEmpty()) property_view_->expandToDepth(0);
  workload_view_->setRootIndex(property_model_->indexOf("workloads"));
  if (workload_expansion_->expandedPaths().isEmpty()) workload_view_->expandToDepth(0);
  updateTitle();
}

void MainWindow::estimateUpdated(const EstimateSummary& summary) {
  estimate_panel_->showSummary(summary);
  scene_->applyEstimate(summary);
  std::vector<Problem> problems;
  if (document_->parseProblem()) problems.push_back(*document_->parseProblem());
  for (const Problem& problem : summary.problems) problems.push_back(problem);
  problem_model_->setProblems(problems);
  scene_->setProblems(problems);
  status_label_->setText(problems.empty()
                             ? tr("no problems")
                             : tr("%n problem(s)", nullptr, static_cast<int>(problems.size())));
}

void MainWindow::selectPath(const QString& key_path, QObject* origin) {
  if (selecting_ || key_path.isEmpty()) return;
  selecting_ = true;
  if (origin != scene_) scene_->selectPath(key_path);
  if (origin != property_view_) {
    const QModelIndex index = property_model_->indexOf(key_path);
    if (index.isValid()) {
      property_view_->setCurrentIndex(index);
      property_view_->scrollTo(index);
      property_view_->expand(index);
    }
  }
  selecting_ = false;
}

void MainWindow::fitCanvas() { view_->fitAll(); }

void MainWindow::propertyMenu(QTreeView* view, const QPoint& at) {
  const QModelIndex index = view->indexAt(at);
  if (!index.isValid()) return;
  const QModelIndex key = index.siblingAtColumn(PropertyModel::KeyColumn);
  const QString path = key.data(PropertyModel::KeyPathRole).toString();
  QMenu menu(view);
  if (!key.data(PropertyModel::PresentRole).toBool()) {
    // A documented key the file leaves out: give it a value (the editor validates as you type;
    // the edit creates the sections it needs). A section opens to list its documented keys.
    const bool scalar = key.data(PropertyModel::ScalarRole).toBool();
    menu.addAction(scalar ? tr("Add key %1").arg(path) : tr("Show keys of %1").arg(path),
                   [view, key, scalar] {
                     if (scalar) {
                       view->setCurrentIndex(key.siblingAtColumn(PropertyModel::ValueColumn));
                       view->edit(key.siblingAtColumn(PropertyModel::ValueColumn));
                     } else {
                       view->expand(key);
                     }
                   });
  } else {
    menu.addAction(tr("Remove %1").arg(path), [this, path] {
      QString error;
      if (!document_->removeEntry(path, &error))
        statusBar()->showMessage(tr("Cannot remove %1: %2").arg(path, error), 5000);
    });
  }
  menu.exec(view->viewport()->mapToGlobal(at));
}

}  // namespace capsim::studio
