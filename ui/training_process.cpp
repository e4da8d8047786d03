#include "ui/training_process.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>

#include <cmath>

#ifdef Q_OS_UNIX
#include <csignal>
#include <sys/types.h>
#endif

TrainingProcess::TrainingProcess(QObject* parent)
    : QObject(parent), m_cliPath(findCli()), m_process(new QProcess(this)), m_logTimer(new QTimer(this)) {
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    connect(m_process, &QProcess::readyReadStandardOutput, this, &TrainingProcess::readOutput);
    connect(m_process, &QProcess::finished, this, &TrainingProcess::onFinished);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart) return;
        m_logTimer->stop();
        m_lastError = tr("cannot start %1: %2").arg(m_cliPath, m_process->errorString());
        emit finished(-1, m_lastError);
    });
    m_logTimer->setInterval(1000);
    connect(m_logTimer, &QTimer::timeout, this, &TrainingProcess::pollLog);
}

TrainingProcess::~TrainingProcess() {
    if (!isRunning()) return;
    // Nobody is left to hear how it ended.
    m_process->disconnect(this);
    interrupt();
    if (!m_process->waitForFinished(10000)) {
        m_process->kill();
        m_process->waitForFinished(2000);
    }
}

QString TrainingProcess::findCli() {
    const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/cmstudio-cli");
    if (QFileInfo(beside).isExecutable()) return beside;
    return QStandardPaths::findExecutable(QStringLiteral("cmstudio-cli"));
}

bool TrainingProcess::isRunning() const {
    return m_process->state() != QProcess::NotRunning;
}

bool TrainingProcess::start(const TrainSettings& s) {
    if (isRunning()) {
        m_lastError = tr("A training run is already in progress; stop it first.");
        return false;
    }
    const QString why = TrainCommand::problem(s);
    if (!why.isEmpty()) {
        m_lastError = why;
        return false;
    }
    if (m_cliPath.isEmpty() || !QFileInfo(m_cliPath).isExecutable()) {
        m_lastError = tr("The trainer cmstudio-cli was not found beside the application or on the PATH.");
        return false;
    }
    m_settings = s;
    m_hasRun = true;
    m_stopRequested = false;
    m_logAnnounced = false;
    m_pending.clear();
    m_errorLines.clear();
    m_lastLine.clear();
    m_lastError.clear();
    m_progressLog = TrainingLog(TrainCommand::logPath(s));
    m_startedAt = QDateTime::currentDateTime();
    m_done = 0;
    setProgress(0, s.steps);
    emit started(s.output);
    m_logTimer->start();
    m_process->start(m_cliPath, TrainCommand::arguments(s));
    return true;
}

void TrainingProcess::stop() {
    if (!isRunning()) return;
    if (m_stopRequested) {
        m_process->kill();
        return;
    }
    m_stopRequested = true;
    interrupt();
}

void TrainingProcess::interrupt() {
#ifdef Q_OS_UNIX
    ::kill(pid_t(m_process->processId()), SIGINT);
#else
    m_process->terminate();
#endif
}

void TrainingProcess::readOutput() {
    m_pending += m_process->readAllStandardOutput();
    qsizetype start = 0;
    for (qsizetype i = 0; i < m_pending.size(); ++i) {
        // The trainer redraws its progress bar with \r on a terminal, and prints lines otherwise.
        if (m_pending[i] != '\n' && m_pending[i] != '\r') continue;
        const QString line = QString::fromUtf8(m_pending.mid(start, i - start)).trimmed();
        if (!line.isEmpty()) handleLine(line);
        start = i + 1;
    }
    m_pending.remove(0, start);
}

void TrainingProcess::handleLine(const QString& line) {
    static const QRegularExpression progress(QStringLiteral(R"(^train \[[#.]*\]\s+\d+%\s+(\d+)/(\d+))"));
    m_lastLine = line;
    emit outputLine(line);
    const auto match = progress.match(line);
    if (match.hasMatch())
        setProgress(match.captured(1).toLong(), match.captured(2).toLong());
    else if (line.startsWith(QLatin1String("cmstudio-cli")))
        m_errorLines << line;
}

void TrainingProcess::pollLog() {
    const QString csv = TrainCommand::logPath(m_settings);
    const QFileInfo info(csv);
    if (!info.exists()) return;
    if (!m_logAnnounced) {
        // Until the trainer rewrites it, the log is the previous run's.
        if (info.lastModified() < m_startedAt.addSecs(-1)) return;
        m_logAnnounced = true;
        emit logStarted(csv);
    }
    if (m_progressLog.refresh() == TrainingLog::Update::Failed) return;
    const double step = m_progressLog.lastFinite(QStringLiteral("step"));
    if (std::isfinite(step) && long(step) > m_done) setProgress(long(step), m_total);
}

void TrainingProcess::onFinished(int exitCode, QProcess::ExitStatus status) {
    m_logTimer->stop();
    readOutput();
    if (!m_pending.trimmed().isEmpty()) handleLine(QString::fromUtf8(m_pending).trimmed());
    m_pending.clear();
    pollLog();

    QString message;
    bool failed = false;
    if (status == QProcess::CrashExit) {
        exitCode = -1;
        failed = true;
        message = m_stopRequested ? tr("The trainer was ended before it saved a checkpoint.")
                                  : tr("The trainer crashed: %1").arg(m_process->errorString());
    } else if (exitCode == 0) {
        setProgress(m_total, m_total);
        message = m_lastLine.isEmpty() ? tr("Training finished.") : m_lastLine;
    } else if (exitCode == 130) {
        message =
            m_lastLine.contains(QLatin1String("interrupted")) ? m_lastLine : tr("Training was interrupted.");
        // The checkpoint's step, which the trainer may have reached after its last progress line: the bar
        // and "interrupted at step N" say the same number.
        static const QRegularExpression checkpointStep(QStringLiteral(R"(interrupted at step (\d+))"));
        const auto match = checkpointStep.match(message);
        if (match.hasMatch()) setProgress(match.captured(1).toLong(), m_total);
    } else {
        failed = true;
        message = !m_errorLines.isEmpty()
                      ? m_errorLines.join(QLatin1Char('\n'))
                      : tr("The trainer failed (exit code %1): %2").arg(exitCode).arg(m_lastLine);
    }
    if (failed) m_lastError = message;
    emit finished(exitCode, message);
}

void TrainingProcess::setProgress(long done, long total) {
    m_done = done;
    m_total = total;
    emit progressChanged(done, total);
}
