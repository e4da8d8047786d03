// Starts `cmstudio-cli train` as a child process with settings chosen in a form, follows its progress,
// stops it with SIGINT (the trainer then saves a checkpoint) and resumes it. GUI thread only.
#pragma once

#include <QDateTime>
#include <QDialog>
#include <QProcess>

#include "training_log.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSettings;
class QSpinBox;
class QTimer;

// The trainer's options the dialog offers; everything else goes in extraArguments.
struct TrainSettings {
    QString mode = QStringLiteral("ict");           // edm, cd, ict or ect
    QString data = QStringLiteral("fashion-mnist"); // "fashion-mnist" or an image folder
    int imageSize = 28;                             // folders only
    int channels = 1;                               // folders only: 1 grey, 3 RGB
    bool conditional = false;
    long steps = 10000;
    int batch = 64;
    double learningRate = 2e-4;
    QString ema = QStringLiteral("0.9999"); // comma-separated rates; the first is saved
    int threads = 0;                        // 0: LibTorch's default
    QString teacher;                        // cd and ect
    QString output;                         // the model file; its log is OUTPUT.csv
    long logEvery = 100;
    long checkpointEvery = 1000;
    bool resume = false;
    bool overwrite = false;
    QStringList extraArguments; // e.g. --base-width 8 --channel-mult 1,2
};

class TrainDialog : public QDialog {
    Q_OBJECT

  public:
    explicit TrainDialog(QWidget* parent = nullptr);
    // A running trainer is interrupted (it saves a checkpoint) and given a few seconds to finish.
    ~TrainDialog() override;

    // The arguments after the program name, for these settings.
    static QStringList arguments(const TrainSettings& settings);
    static QString logPath(const TrainSettings& settings);        // OUTPUT.csv
    static QString checkpointPath(const TrainSettings& settings); // OUTPUT.ckpt
    // Why these settings cannot start (missing output, existing run, no teacher...); empty if they can.
    static QString problem(const TrainSettings& settings);
    // Beside the application, else on PATH; empty if not found.
    static QString findCli();
    static QString shellQuoted(const QString& program, const QStringList& arguments);

    void setCliPath(const QString& path);
    QString cliPath() const { return m_cliPath; }

    TrainSettings settings() const;
    void setSettings(const TrainSettings& settings);
    QString commandLine() const; // for the form's settings, ready to paste into a shell

    bool isRunning() const;
    long stepsDone() const { return m_done; }
    long stepsTotal() const { return m_total; }
    QString lastOutputLine() const { return m_lastLine; }
    QString output() const; // everything the trainer printed
    QString lastError() const { return m_lastError; }

    void saveSettings(QSettings& store) const;
    void restoreSettings(const QSettings& store);

  public slots:
    bool start(); // with the form's settings
    bool start(const TrainSettings& settings);
    void stop();   // SIGINT; a second call kills
    bool resume(); // the last run (or the form's) with --resume

  signals:
    void trainingStarted(const QString& modelPath);
    // Once the trainer has (re)written its CSV log.
    void logStarted(const QString& csvPath);
    void progressChanged(long done, long total);
    // exitCode 0: finished; 130: interrupted with a checkpoint saved; else message is the trainer's error.
    void trainingFinished(int exitCode, const QString& message);

  private:
    void buildForm();
    void updateForm();
    void readOutput();
    void handleLine(const QString& line);
    void pollLog();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void setProgress(long done, long total);
    void showStatus(const QString& text, bool error);
    void chooseFolder();
    void chooseTeacher();
    void chooseOutput();

    QString m_cliPath;
    QProcess* m_process;
    QTimer* m_logTimer;
    TrainSettings m_running; // the settings of the current or last started run
    bool m_hasRun = false;
    bool m_stopRequested = false;
    bool m_logAnnounced = false;
    QDateTime m_startedAt;
    TrainingLog m_progressLog;
    QByteArray m_pending;
    QString m_lastLine, m_lastError;
    QStringList m_errorLines;
    long m_done = 0, m_total = 0;

    QComboBox* m_mode;
    QComboBox* m_dataKind;
    QLineEdit* m_folder;
    QPushButton* m_folderButton;
    QSpinBox* m_imageSize;
    QComboBox* m_channels;
    QCheckBox* m_conditional;
    QSpinBox* m_steps;
    QSpinBox* m_batch;
    QLineEdit* m_learningRate;
    QLineEdit* m_ema;
    QSpinBox* m_threads;
    QLineEdit* m_teacher;
    QPushButton* m_teacherButton;
    QLineEdit* m_output;
    QSpinBox* m_logEvery;
    QSpinBox* m_checkpointEvery;
    QComboBox* m_existing;
    QLineEdit* m_extra;
    QLineEdit* m_command;
    QProgressBar* m_progress;
    QLabel* m_status;
    QPlainTextEdit* m_log;
    QPushButton* m_startButton;
    QPushButton* m_stopButton;
    QPushButton* m_resumeButton;
};
