// TrainingProcess: one `cmstudio-cli train` child process at a time. Starts it with TrainSettings, reads
// its progress from its output lines and its CSV log, stops it with SIGINT (the trainer then saves a
// checkpoint) and reports how it ended. No widgets; GUI thread only.
#pragma once

#include "ui/train_command.h"
#include "ui/training_log.h"

#include <QDateTime>
#include <QObject>
#include <QProcess>

class QTimer;

class TrainingProcess : public QObject {
    Q_OBJECT
  public:
    explicit TrainingProcess(QObject* parent = nullptr);
    // A running trainer is interrupted (it saves a checkpoint) and given a few seconds to finish.
    ~TrainingProcess() override;

    // Beside the application, else on PATH; empty if not found.
    static QString findCli();
    void setCliPath(const QString& path) { m_cliPath = path; }
    QString cliPath() const { return m_cliPath; }

    bool isRunning() const;
    // stop() was called for the current or last run.
    bool stopRequested() const { return m_stopRequested; }
    // The settings of the current or last started run; hasRun() is false before the first start.
    bool hasRun() const { return m_hasRun; }
    TrainSettings settings() const { return m_settings; }
    long stepsDone() const { return m_done; }
    long stepsTotal() const { return m_total; }
    QString lastError() const { return m_lastError; }

    // Refuses (false, with lastError()) while a run is in progress, for settings with a problem, or
    // without an executable cmstudio-cli.
    bool start(const TrainSettings& settings);
    // SIGINT; a second call kills.
    void stop();

  signals:
    // A run passed the checks and its trainer is launched next; finished() follows, also when the
    // launch fails.
    void started(const QString& modelPath);
    // Each line the trainer printed (progress bars redrawn with \r count as lines).
    void outputLine(const QString& line);
    // Once the trainer has (re)written its CSV log.
    void logStarted(const QString& csvPath);
    void progressChanged(long done, long total);
    // exitCode 0: finished; 130: interrupted with a checkpoint saved; -1: did not start or crashed;
    // else message is the trainer's error.
    void finished(int exitCode, const QString& message);

  private:
    void readOutput();
    void handleLine(const QString& line);
    void pollLog();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void setProgress(long done, long total);
    void interrupt(); // SIGINT where there are signals

    QString m_cliPath;
    QProcess* m_process;
    QTimer* m_logTimer;
    TrainSettings m_settings;
    bool m_hasRun = false;
    bool m_stopRequested = false;
    bool m_logAnnounced = false;
    QDateTime m_startedAt;
    TrainingLog m_progressLog;
    QByteArray m_pending;
    QString m_lastLine, m_lastError;
    QStringList m_errorLines;
    long m_done = 0, m_total = 0;
};
