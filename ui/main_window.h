// The CM Studio main window: the model panel, the Generate / Edit / Interpolate / Training tabs, menus and
// shortcuts, the progress bar with ETA and Cancel, an error bar, drag-and-drop, and the settings it keeps.
#pragma once

#include "engine_types.h"

#include <QElapsedTimer>
#include <QMainWindow>

class CompressView;
class SampleGallery;
class StyleView;
class EditView;
class Engine;
class GenerateView;
class InterpolationView;
class ModelPanel;
class QLabel;
class QMenu;
class QProgressBar;
class QTabWidget;
class QToolButton;
class TrainingView;

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    explicit MainWindow(const QStringList& bundledModels, QWidget* parent = nullptr);
    ~MainWindow() override;

    // A CM Studio model loads at once; a `.pt` or diffusers folder goes through the import step first.
    void loadModel(const QString& path);
    // Opens an image in the editor; a PNG written by CM Studio also offers its settings for reuse.
    bool openImage(const QString& path);
    void showError(const QString& message);
    // Hides the error bar if it still shows `message` (its cause was corrected).
    void dismissError(const QString& message);
    void showTab(int index);
    // Dropped files (on the window or on a tab that passes them on): the first model or image is opened.
    void openDropped(const QStringList& paths);

    Engine* engine() const { return m_engine; }
    GenerateView* generateView() const { return m_generate; }
    EditView* editView() const { return m_edit; }
    InterpolationView* interpolationView() const { return m_interpolate; }
    TrainingView* trainingView() const { return m_training; }
    CompressView* compressView() const { return m_compress; }
    StyleView* styleView() const { return m_style; }
    // The gallery Save/Copy act on: the Style view's results in the Style tab, else the Generate gallery.
    SampleGallery* currentGallery() const;
    static QString suggestedFileName(const QVariantMap& settings);
    ModelPanel* modelPanel() const { return m_modelPanel; }
    QTabWidget* tabs() const { return m_tabs; }
    QString lastError() const { return m_lastError; }
    bool errorVisible() const;
    QVariantMap pendingSettings() const { return m_pendingSettings; }
    QString shortcutsHtml() const; // the table Help › Keyboard Shortcuts shows

    enum Tab { GenerateTab, EditTab, InterpolateTab, TrainingTab, CompressTab, StyleTab };

  public slots:
    void reuseSettings();
    void saveSelected();
    void saveGrid();
    void copySelected();
    void saveCurrent(); // Ctrl+S: the edit result in the Edit tab, else the selected images
    void copyCurrent();
    void saveEditResult();
    void copyEditResult();
    // Saves images of currentGallery() into a folder (suggestedFileName). If some exist, asks once: overwrite,
    // keep both (" (2)" is added to the new name) or cancel. Returns how many were saved.
    int saveImagesInto(const QVector<int>& rows, const QString& folder);
    // The edit result as a PNG with its settings, at the export scale; false with a message.
    bool saveEditResultTo(const QString& path, QString* error);
    // Saved and copied images are enlarged this many times with whole pixels (1, 2, 4, 8 or 16; kept).
    int exportScale() const;
    void setExportScale(int scale);
    void cancelJobs();
    void showShortcuts(); // Help › Keyboard Shortcuts

  signals:
    void modelReady(const ModelInfo& model);

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    void showPrecision(); // the status bar's compute label
    void buildMenus();
    void placeErrorBar();
    void restoreSettings();
    void rememberRecent(const QString& path);
    void rebuildRecentMenu();
    void onProgress(int job, long done, long total);
    void onBusyChanged(bool busy);
    void openModelDialog();
    void openDiffusersFolderDialog();
    void importModel(const QString& path);
    void openImageDialog();
    void pasteImage();
    QString saveDirectory() const;
    bool saveExported(const QImage& image, const QString& path, QVariantMap settings, QString* error) const;

    Engine* m_engine = nullptr;
    ModelPanel* m_modelPanel = nullptr;
    QTabWidget* m_tabs = nullptr;
    GenerateView* m_generate = nullptr;
    EditView* m_edit = nullptr;
    InterpolationView* m_interpolate = nullptr;
    TrainingView* m_training = nullptr;
    CompressView* m_compress = nullptr;
    StyleView* m_style = nullptr;

    QLabel* m_errorBar = nullptr;
    QString m_lastError;
    QProgressBar* m_progress = nullptr;
    QLabel* m_eta = nullptr;
    QToolButton* m_cancel = nullptr;
    QLabel* m_modelLabel = nullptr;
    QLabel* m_precisionLabel = nullptr; // what the networks compute in (core/precision.h)
    QMenu* m_recentMenu = nullptr;
    QAction* m_reuseAction = nullptr;
    QVariantMap m_pendingSettings;

    int m_progressJob = 0;
    QElapsedTimer m_jobTimer;
};
