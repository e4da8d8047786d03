// The Edit tab: a MaskCanvas with its tools, and the zero-shot operations (inpaint, colorize,
// super-resolve, stroke-guided edit, denoise with an add-noise control). Results replace the canvas image
// as undoable commands; live inpainting previews the fill while the user paints (debounced, the newest
// request supersedes older ones, the GUI never waits).
#pragma once

#include "class_picker.h"
#include "engine_types.h"

#include "core/editing.h"

#include <QTimer>

#include <map>
#include <utility>
#include <QWidget>

class Engine;
class ImageInspector;
class MaskCanvas;
class MaskDocument;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QSpinBox;

class EditView : public QWidget {
    Q_OBJECT
  public:
    enum Operation { Inpaint, Colorize, SuperResolve, Stroke, Denoise };

    explicit EditView(Engine* engine, QWidget* parent = nullptr);

    void setModel(const ModelInfo& model);
    void openImage(const QImage& image, const QVariantMap& settings);
    bool openImageFile(const QString& path, QString* error);

    void setOperation(Operation operation);
    Operation operation() const;
    void apply();       // runs the chosen operation on the canvas image
    void fitToModel();  // undoable: centre-crop to a square and resize to the model's size
    void addNoise();    // undoable: N(0, sigma^2) noise on the canvas image (a demonstration input)
    void applyPreview(); // commits the live preview to the canvas (undoable)
    void setLive(bool live);

    MaskCanvas* canvas() const { return m_canvas; }
    // The canvas image (the edit result) and what made it: the last operation's settings (task, seed,
    // sigmas, model) on top of the settings the image came with; for the PNG's text chunks.
    QImage resultImage() const;
    QVariantMap resultSettings() const;
    ImageInspector* preview() const { return m_preview; }
    QImage previewImage() const { return m_previewImage; }
    int liveUpdates() const { return m_liveUpdates; } // live previews shown so far
    QSpinBox* seed() const { return m_seed; }
    QPushButton* applyButton() const { return m_apply; }

  signals:
    void errorOccurred(const QString& message);
    void saveRequested(); // the canvas's context menu
    void copyRequested();
    // The request error last reported no longer holds (the image was fitted, an operation changed...).
    void errorResolved(const QString& message);
    void applied(const QString& operation, double seconds);
    void previewUpdated();

  private:
    // The engine request for the current operation; false with a one-line reason when it cannot run.
    bool buildRequest(cm::EditParams& params, QString* error) const;
    void requestLivePreview();
    void onFinished(const JobResult& result);
    void updateControls();
    QImage fittedToModel(const QImage& image) const; // centre square at the model's size
    void showWhatTheModelSees();
    QString operationLabel(Operation operation) const;

    Engine* m_engine;
    ModelInfo m_model;
    MaskCanvas* m_canvas = nullptr;
    MaskDocument* m_document = nullptr; // the document the canvas shows
    ImageInspector* m_preview = nullptr;
    QImage m_previewImage;
    std::map<int, std::pair<QImage, QImage>> m_liveInputs; // live job -> the canvas image and mask it used
    int m_applyJob = 0;
    int m_denoiseJob = 0;
    int m_liveJob = 0;     // the live preview in flight, 0 when none
    int m_lastLiveJob = 0; // the newest live preview requested
    bool m_liveStale = false;
    int m_liveUpdates = 0;
    Operation m_runningOperation = Inpaint;
    QImage m_applySource; // the canvas image the running operation started from
    QImage m_applyMask;
    QTimer m_liveDebounce;
    QString m_requestError;
    QVariantMap m_sourceSettings; // what the opened image carried (a generated sample's seed, class...)
    QVariantMap m_editSettings;   // the last applied operation's // the reason apply() last refused to run, until a request would run

    QComboBox* m_operation = nullptr;
    QSlider* m_brushSize = nullptr;
    QSlider* m_hardness = nullptr;
    QPushButton* m_colour = nullptr;
    QComboBox* m_factor = nullptr;
    QDoubleSpinBox* m_sigma = nullptr;
    QPushButton* m_addNoise = nullptr;
    QLineEdit* m_sigmas = nullptr;
    QSpinBox* m_seed = nullptr;
    ClassPicker* m_class = nullptr;
    QCheckBox* m_live = nullptr;
    QPushButton* m_apply = nullptr;
    QPushButton* m_applyPreview = nullptr;
    QLabel* m_hint = nullptr;
    QLabel* m_pixel = nullptr;
};
