// TrainDialog: the form of a training run's settings, the command it runs, and the run's progress, status
// and output, with Start, Stop (the trainer saves a checkpoint) and Resume. TrainCommand builds the
// command, TrainingProcess runs it. GUI thread only.
#pragma once

#include "ui/train_command.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSettings;
class QSpinBox;
class TrainingProcess;

class TrainDialog : public QDialog {
    Q_OBJECT

  public:
    // Destroying the dialog interrupts a running trainer (it saves a checkpoint) and gives it a few
    // seconds to finish.
    explicit TrainDialog(QWidget* parent = nullptr);

    void setCliPath(const QString& path);
    QString cliPath() const;

    TrainSettings settings() const;
    void setSettings(const TrainSettings& settings);
    QString commandLine() const; // for the form's settings, ready to paste into a shell
    // The same run on several machines through torchrun (HOST stands for rank 0's machine).
    QString multiMachineCommandLine() const;

    bool isRunning() const;
    long stepsDone() const;
    long stepsTotal() const;
    QString output() const; // everything the trainer printed
    QString lastError() const;
    QPushButton* loadModelButton() const { return m_loadButton; }

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
    // "Load model" after a finished run: the model file it wrote.
    void loadModelRequested(const QString& modelPath);

  protected:
    void showEvent(QShowEvent* event) override;

  private:
    void buildForm();
    void scrollLogToEnd();
    void updateForm();
    void onStarted();
    void onOutputLine(const QString& line);
    void onProgress(long done, long total);
    void onFinished(int exitCode, const QString& message);
    void showStatus(const QString& text, bool error);
    void chooseFolder();
    void chooseTeacher();
    void chooseOutput();

    TrainingProcess* m_training;

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
    QSpinBox* m_processes;
    QSpinBox* m_machines;
    QLineEdit* m_multiMachineCommand;
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
    QPushButton* m_loadButton;
};
