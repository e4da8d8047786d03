// The "Training" tab: training logs of several runs as curves, followed live while a run appends, and
// the Train dialog that starts one. GUI thread only; the logs are read and parsed on a worker thread.
#pragma once

#include "training_log.h"

#include <QDateTime>
#include <QHash>
#include <QImage>
#include <QSet>
#include <QWidget>

class CurvePlot;
class QCheckBox;
class QComboBox;
class QFileSystemWatcher;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QSettings;
class QSlider;
class QThreadPool;
class QTimer;
class TrainDialog;

class TrainingView : public QWidget {
    Q_OBJECT

  public:
    explicit TrainingView(QWidget* parent = nullptr);
    ~TrainingView() override;

    // Starts reading a log on the worker thread (or re-reading it if already loaded); it is plotted when
    // the read succeeds. False at once for a path that is no file. On failure, now or when the read ends,
    // lastError() says why, errorOccurred() is emitted, and a message box is shown if the view is
    // interactive. logRead() is emitted when each read ends.
    bool addLog(const QString& path);
    void removeLog(const QString& path);
    QStringList logPaths() const { return m_order; }
    const TrainingLog* log(const QString& path) const; // null until its first read succeeded
    bool isReading() const;

    // Whether a dropped file is read as a training log here. Models (.safetensors, .pt...) and images are
    // not: they go to otherFilesDropped(), for the main window to open as on any other tab.
    static bool isTrainingLogFile(const QString& path);

    // Off: errors are only reported by errorOccurred() and lastError(), never by a message box (inside
    // the main window, whose error bar shows them; and in tests).
    void setInteractive(bool on) { m_interactive = on; }
    bool isInteractive() const { return m_interactive; }
    QString lastError() const { return m_lastError; }

    void setFollow(bool on);
    bool follow() const;

    CurvePlot* plot() const { return m_plot; }
    // The newest sample grid a run of these logs wrote as it trained (the trainer's <model>.preview.png
    // beside <model>.csv, --preview-every), shown next to the curves; null when there is none.
    QImage previewImage() const { return m_previewImage; }
    QString previewPath() const { return m_previewPath; }
    static QString previewPathFor(const QString& logPath);
    TrainDialog* trainDialog(); // created on first use

    void saveSettings(QSettings& store) const;
    void restoreSettings(const QSettings& store);

  public slots:
    void openLogs();
    void openTrainDialog();
    // For TrainDialog::logStarted: adds the log and follows it.
    bool followLog(const QString& path);
    // Re-reads every log for what was appended.
    void refreshLogs();
    bool exportPng(const QString& path);
    bool exportPdf(const QString& path);

  signals:
    void errorOccurred(const QString& message);
    void logsChanged();
    void logRead(const QString& path);
    // The Train dialog's "Load model" after a finished run.
    void modelRequested(const QString& modelPath);
    // Dropped files that are no training logs (see isTrainingLogFile), in the order they were dropped.
    void otherFilesDropped(const QStringList& paths);

  protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    struct Entry {
        TrainingLog log;
        QString name;
        QString lastReportedError;
        bool shown = false;     // in the list and the plot: its first read succeeded
        bool reading = false;   // a read is in flight
        bool readAgain = false; // asked for during that read: read once more after it
        bool quiet = false;     // a failed first read is reported without a message box
    };

    void buildUi();
    void refreshLog(const QString& path);
    void finishRead(const QString& key, const TrainingLog& log, TrainingLog::Update update);
    void showLog(const QString& key);
    void applyRefresh(const QString& key, const TrainingLog& log, TrainingLog::Update update);
    void showBatchErrors();
    void updateItem(const QString& path);
    void updateSeriesChoices();
    void updateStatus();
    void updateWatcher();
    void report(const QString& message);
    QString uniqueName(const QString& path) const;
    void exportWithDialog(bool pdf);
    void updatePreview();

    CurvePlot* m_plot;
    QListWidget* m_runs;
    QComboBox* m_series;
    QComboBox* m_xAxis;
    QCheckBox* m_logY;
    QSlider* m_smoothing;
    QLabel* m_smoothingValue;
    QCheckBox* m_follow;
    QLabel* m_status;
    QWidget* m_previewPane;
    QLabel* m_previewLabel;
    QLabel* m_previewCaption;
    QImage m_previewImage;
    QString m_previewPath;
    QDateTime m_previewTime;
    QFileSystemWatcher* m_watcher;
    QTimer* m_poll;
    QThreadPool* m_reader; // one worker thread: reads are queued, the GUI thread never parses a file
    TrainDialog* m_trainDialog = nullptr;

    QHash<QString, Entry> m_entries; // by absolute path
    QStringList m_order;
    bool m_interactive = true;
    QString m_lastError;
    QString m_lastDirectory;
    // openLogs(): the files still being read, and the errors of those that failed, shown in one box.
    QSet<QString> m_batch;
    QStringList m_batchErrors;
};
