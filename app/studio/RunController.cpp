#include "RunController.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRegularExpression>

namespace capsim::studio {

std::pair<int, QString> parse_progress(const QString& chunk) {
  static const QRegularExpression kBar("\\[[=> ]*\\] (\\d+)% ([^\\r\\x1b]*)");
  int percent = -1;
  QString stage;
  for (auto match = kBar.globalMatch(chunk); match.hasNext();) {
    const auto m = match.next();
    percent = m.captured(1).toInt();
    stage = m.captured(2).trimmed();
  }
  return {percent, stage};
}

RunController::RunController(QObject* parent) : QObject(parent) {
  const QByteArray from_env = qgetenv("CAPSIM_EXECUTABLE");
  executable_ = from_env.isEmpty() ? QCoreApplication::applicationDirPath() + "/capsim"
                                   : QString::fromLocal8Bit(from_env);
}

RunController::~RunController() {
  if (running()) {
    process_->kill();
    process_->waitForFinished(2000);
  }
}

bool RunController::start(const std::string& yaml_text, const QString& source,
                          const QString& fidelity, int number) {
  if (running()) return false;
  if (!session_dir_)
    session_dir_ = std::make_unique<QTemporaryDir>(QDir::tempPath() + "/capsim-studio-XXXXXX");
  if (!session_dir_->isValid()) {
    emit failed(tr("cannot create a folder for the run's reports"));
    return false;
  }
  number_ = number;
  fidelity_ = fidelity;
  cancelled_ = false;
  stderr_.clear();
  out_dir_ = session_dir_->filePath(QStringLiteral("run-%1").arg(number));
  QDir().mkpath(out_dir_);
  // The scenario as it is in the editor, saved or not; named after the source so that the
  // report says which scenario it was.
  const QString base =
      source.isEmpty() ? QStringLiteral("untitled") : QFileInfo(source).completeBaseName();
  const QString scenario = out_dir_ + "/" + base + ".yaml";
  QFile file(scenario);
  if (!file.open(QIODevice::WriteOnly) ||
      file.write(yaml_text.data(), static_cast<qint64>(yaml_text.size())) < 0) {
    emit failed(tr("cannot write %1").arg(scenario));
    return false;
  }
  file.close();
  process_ = std::make_unique<QProcess>();
  connect(process_.get(), &QProcess::readyReadStandardError, this, &RunController::readProgress);
  connect(process_.get(), &QProcess::finished, this, &RunController::processFinished);
  connect(process_.get(), &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
    if (error == QProcess::FailedToStart) {
      emit failed(tr("cannot start %1: %2").arg(executable_, process_->errorString()));
    }
  });
  clock_.start();
  process_->start(executable_, {"run", scenario, "--out", out_dir_, "--format", "json,md,html,csv",
                                "--fidelity", fidelity, "--progress", "--quiet"});
  emit progress(0, tr("starting capsim"));
  return true;
}

void RunController::cancel() {
  if (!running()) return;
  cancelled_ = true;
  process_->kill();
}

void RunController::readProgress() {
  const QString chunk = QString::fromUtf8(process_->readAllStandardError());
  stderr_ += chunk;
  const auto [percent, stage] = parse_progress(chunk);
  if (percent >= 0) emit progress(percent, stage);
}

void RunController::processFinished(int exit_code, QProcess::ExitStatus status) {
  stderr_ += QString::fromUtf8(process_->readAllStandardError());
  if (cancelled_) {
    emit failed(tr("run cancelled"));
    return;
  }
  // Exit 1 means targets missed: the reports are complete.
  if (status != QProcess::NormalExit || (exit_code != 0 && exit_code != 1)) {
    QString message = stderr_;
    message.remove(QRegularExpression("\\r[^\\n]*\\x1b\\[K"));
    emit failed(message.trimmed().isEmpty() ? tr("capsim exited with code %1").arg(exit_code)
                                            : message.trimmed());
    return;
  }
  QFile result(out_dir_ + "/result.json");
  if (!result.open(QIODevice::ReadOnly)) {
    emit failed(tr("capsim wrote no result.json in %1").arg(out_dir_));
    return;
  }
  try {
    RunRecord record = parse_result_json(result.readAll());
    record.number = number_;
    record.out_dir = out_dir_;
    record.started = QDateTime::currentDateTime().addMSecs(-clock_.elapsed());
    record.wall_s = static_cast<double>(clock_.elapsed()) / 1000.0;
    emit progress(100, tr("done"));
    emit finished(record);
  } catch (const std::exception& error) {
    emit failed(QString::fromUtf8(error.what()));
  }
}

}  // namespace capsim::studio
