// The Generate tab: batch size, seed (lock / randomise), class, sampler and schedule, the gallery of
// samples, and the inspector with the refine panel (the multistep chain and 1..4 steps of one seed).
#pragma once

#include "class_picker.h"
#include "engine_types.h"

#include "core/sampler.h"

#include <QWidget>

class BatchHistory;
class Engine;
class ImageInspector;
class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QSplitter;
class SampleGallery;
class ScheduleEditor;
class ThumbnailStrip;

class GenerateView : public QWidget {
    Q_OBJECT
  public:
    explicit GenerateView(Engine* engine, QWidget* parent = nullptr);

    void setModel(const ModelInfo& model);
    // Builds the request from the form (randomising the seed first unless it is locked); false with a
    // message when the form is invalid.
    bool buildRequest(cm::SampleParams& params, QString* error);
    void generate();
    void refine(int index);
    void applySettings(const QVariantMap& settings); // "reuse these settings" from a PNG

    SampleGallery* gallery() const { return m_gallery; }
    SampleGallery* comparedGallery() const { return m_compare; } // hidden unless comparing
    BatchHistory* history() const { return m_history; }
    ImageInspector* inspector() const { return m_inspector; }
    ThumbnailStrip* chainStrip() const { return m_chain; }
    ThumbnailStrip* stepsStrip() const { return m_steps; }
    QSpinBox* batchSize() const { return m_count; }
    QSpinBox* seed() const { return m_seed; }
    QCheckBox* seedLock() const { return m_lock; }
    ClassPicker* classPicker() const { return m_class; }
    ScheduleEditor* scheduleEditor() const { return m_schedule; }
    QPushButton* generateButton() const { return m_generate; }
    QString timingText() const; // "16 images in 0.05 s; ..." of the last batch, empty after a model change
    QString chainCaption() const;

  signals:
    void generated(int count, double seconds);
    void errorOccurred(const QString& message);
    // The form error last reported by errorOccurred() no longer holds (the schedule was corrected).
    void errorResolved(const QString& message);
    void sendToEditorRequested(const QImage& image, const QVariantMap& settings);

  private:
    void onFinished(const JobResult& result);
    void endGeneration(bool produced);
    void clearRefinePanel();
    void showBatch(int index);
    void showSelected(int index);

    Engine* m_engine;
    ModelInfo m_model;
    int m_generateJob = 0;
    int m_chainJob = 0;
    cm::SampleParams m_lastRequest;
    bool m_generating = false; // a batch of this view is queued or running
    int m_seedBefore = 0;      // the seed field before a run drew a new one: shown again if it is cancelled
    QString m_formError; // the invalid form's message last reported, until the form is valid again

    QSpinBox* m_count = nullptr;
    QSpinBox* m_seed = nullptr;
    QCheckBox* m_lock = nullptr;
    ClassPicker* m_class = nullptr;
    ScheduleEditor* m_schedule = nullptr;
    QPushButton* m_generate = nullptr;
    QLabel* m_timing = nullptr;
    SampleGallery* m_gallery = nullptr;
    BatchHistory* m_history = nullptr;
    SampleGallery* m_compare = nullptr;
    QSplitter* m_galleries = nullptr;
    ImageInspector* m_inspector = nullptr;
    QLabel* m_chainLabel = nullptr;
    ThumbnailStrip* m_chain = nullptr;
    ThumbnailStrip* m_steps = nullptr;
    QImage m_chainBase; // the one-step sample of the refined seed, the "before" of the compare slider
};
