// The "Training" tab: training logs of several runs as curves, followed live while a run appends, and
// the Train dialog that starts one. GUI thread only.
#pragma once

#include "training_log.h"

#include <QHash>
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
class QTimer;
class TrainDialog;

class TrainingView : public QWidget {
    Q_OBJECT

  public:
    explicit TrainingView(QWidget* parent = nullptr);

    // Loads a log and plots it (or re-reads it if already loaded). On failure, lastError() says why,
    // errorOccurred() is emitted, and a message box is shown if the view is interactive.
    bool addLog(const QString& path);
    void removeLog(const QString& path);
    QStringList logPaths() const { return m_order; }
    const TrainingLog* log(const QString& path) const;

    // Off: errors are only reported by errorOccurred() and lastError(), never by a message box (tests).
    void setInteractive(bool on) { m_interactive = on; }
    bool isInteractive() const { return m_interactive; }
    QString lastError() const { return m_lastError; }

    void setFollow(bool on);
    bool follow() const;

    CurvePlot* plot() const { return m_plot; }
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

  protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    struct Entry {
        TrainingLog log;
        QString name;
        QString lastReportedError;
    };

    void buildUi();
    void refreshLog(const QString& path);
    void updateItem(const QString& path);
    void updateSeriesChoices();
    void updateStatus();
    void updateWatcher();
    void report(const QString& message);
    QString uniqueName(const QString& path) const;
    void exportWithDialog(bool pdf);

    CurvePlot* m_plot;
    QListWidget* m_runs;
    QComboBox* m_series;
    QComboBox* m_xAxis;
    QCheckBox* m_logY;
    QSlider* m_smoothing;
    QLabel* m_smoothingValue;
    QCheckBox* m_follow;
    QLabel* m_status;
    QFileSystemWatcher* m_watcher;
    QTimer* m_poll;
    TrainDialog* m_trainDialog = nullptr;

    QHash<QString, Entry> m_entries; // by absolute path
    QStringList m_order;
    bool m_interactive = true;
    QString m_lastError;
    QString m_lastDirectory;
};
