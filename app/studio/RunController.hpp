// Runs a scenario by starting `capsim run` as a child process (SimGrid allows one simulation per
// process, and the window never waits on it): the scenario's current text is written into the
// run's folder, `capsim run --progress` draws its bar on stderr, which is read as it comes, and
// result.json is read when the process ends. Cancel kills the child.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <memory>

#include "RunRecord.hpp"

namespace capsim::studio {

/// Parses the last progress bar in a chunk of `capsim run --progress` stderr
/// ("\r[=====>   ] 45% simulating pretrain\033[K"): percent (or -1 when none) and stage.
std::pair<int, QString> parse_progress(const QString& chunk);

class RunController : public QObject {
  Q_OBJECT
 public:
  explicit RunController(QObject* parent = nullptr);
  ~RunController() override;

  /// The capsim executable (default: next to capsim-studio, or $CAPSIM_EXECUTABLE).
  void setExecutable(const QString& path) { executable_ = path; }
  QString executable() const { return executable_; }

  /// Starts a run of `yaml_text` (named `source` in messages) at `fidelity`; false when one is
  /// already running.
  bool start(const std::string& yaml_text, const QString& source, const QString& fidelity,
             int number);
  void cancel();
  bool running() const { return process_ && process_->state() != QProcess::NotRunning; }

 signals:
  void progress(int percent, const QString& stage);
  void finished(const capsim::studio::RunRecord& record);
  void failed(const QString& message);

 private:
  void readProgress();
  void processFinished(int exit_code, QProcess::ExitStatus status);

  QString executable_;
  std::unique_ptr<QProcess> process_;
  QString out_dir_;
  QString stderr_;
  QString fidelity_;
  int number_ = 0;
  bool cancelled_ = false;
  QElapsedTimer clock_;
  std::unique_ptr<QTemporaryDir> session_dir_;
};

}  // namespace capsim::studio
