// The Style tab (DEADiff, core/style): a reference image (opened, dropped, the gallery's selected sample, or
// one of the bundled style swatches) and one or several prompts (garments) give `n` images of each
// prompt in the reference's style, from a style model held beside the main model. The reference as the
// model reads it (fitted by the core, as `cmstudio-cli stylize` fits it) stands beside the results; the
// results carry their settings (model, reference, prompt, seed, steps) into saved PNGs and the editor.
// Every run is kept: Previous/Next run step back and forth through them (the view's undo). Network work
// runs on the engine's worker thread; errors go to the window's error bar.
#pragma once

#include "engine_types.h"

#include <QWidget>

class Engine;
class PixelImage;
class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;
class QToolButton;
class SampleGallery;

class StyleView : public QWidget {
    Q_OBJECT
  public:
    explicit StyleView(Engine* engine, QWidget* parent = nullptr);

    void setGallery(SampleGallery* gallery); // the source of "Use selected sample"
    void loadStyleModel(const QString& path);
    // The reference: kept as given, fitted to the model's size when a model is loaded. False with a
    // message for a file that is not an image.
    bool openReferenceFile(const QString& path, QString* error);
    void setReference(const QImage& image, const QString& name);
    void useSelectedSample();
    void useSwatch(int index); // one of swatchFiles()
    void setPrompts(const QStringList& prompts); // checks these garments, unchecks the others
    QStringList prompts() const;                  // the checked garments, in vocabulary order
    void generate();
    void previousRun();
    void nextRun();

    const StyleModelInfo& styleModel() const { return m_model; }
    QImage reference() const { return m_reference; }
    QString referenceName() const { return m_referenceName; }
    QImage fittedReference() const; // as the model reads it (null without a model or a reference)
    QStringList referenceNotes() const { return m_referenceNotes; }
    const StyleResult& result() const; // the run shown (empty before the first)
    int runCount() const { return int(m_runs.size()); }
    int currentRun() const { return m_current; }
    QStringList swatchFiles() const { return m_swatchFiles; }
    QString headingText() const;
    QString modelText() const;

    SampleGallery* results() const { return m_results; }
    QComboBox* modelPicker() const { return m_picker; }
    QListWidget* promptList() const { return m_promptList; }
    QSpinBox* count() const { return m_count; }
    QSpinBox* seed() const { return m_seed; }
    QSpinBox* steps() const { return m_steps; }
    QCheckBox* useContent() const { return m_useContent; }
    QPushButton* generateButton() const { return m_generate; }
    QToolButton* previousButton() const { return m_previous; }
    QToolButton* nextButton() const { return m_next; }
    QList<QToolButton*> swatchButtons() const { return m_swatchButtons; }

  signals:
    void errorOccurred(const QString& message);
    void errorResolved(const QString& message);
    void styleModelReady(const StyleModelInfo& info);
    void generated(const StyleResult& result);
    void sendToEditorRequested(const QImage& image, const QVariantMap& settings);

  protected:
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    struct Run {
        StyleResult result;
        QVariantMap settings; // shared by its images; each adds its prompt and seed
    };
    void onStyleModelLoaded(int job, const StyleModelInfo& info);
    void onFinished(const JobResult& result);
    void reportError(const QString& message);
    void showReference();
    void showRun(int index);
    void updateControls();
    void rememberModel(const QString& path);
    void rebuildPicker();

    Engine* m_engine;
    SampleGallery* m_gallery = nullptr;
    StyleModelInfo m_model;
    QStringList m_bundled, m_swatchFiles;
    QImage m_reference;
    QString m_referenceName;
    QStringList m_referenceNotes;
    QVector<Run> m_runs;
    int m_current = -1;
    int m_loadJob = 0, m_job = 0;
    QString m_lastError;

    QComboBox* m_picker = nullptr;
    QLabel* m_modelInfo = nullptr;
    QLabel* m_referenceInfo = nullptr;
    QPushButton* m_useSelected = nullptr;
    QList<QToolButton*> m_swatchButtons;
    QListWidget* m_promptList = nullptr;
    QSpinBox* m_count = nullptr;
    QSpinBox* m_seed = nullptr;
    QSpinBox* m_steps = nullptr;
    QCheckBox* m_useContent = nullptr;
    QPushButton* m_generate = nullptr;
    QToolButton* m_previous = nullptr;
    QToolButton* m_next = nullptr;
    QLabel* m_heading = nullptr;
    PixelImage* m_referenceImage = nullptr;
    QLabel* m_referenceCaption = nullptr;
    SampleGallery* m_results = nullptr;
};
