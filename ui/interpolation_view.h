// The Interpolate tab: two seeds (typed, or the two samples selected in the gallery), a frame count, a
// slider that morphs between them, and export of the strip (PNG) and of the frames as a video.
#pragma once

#include "class_picker.h"
#include "engine_types.h"

#include <QTimer>

#include <optional>
#include <QWidget>

class Engine;
class ImageInspector;
class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class SampleGallery;
class ThumbnailStrip;

class InterpolationView : public QWidget {
    Q_OBJECT
  public:
    explicit InterpolationView(Engine* engine, QWidget* parent = nullptr);

    void setModel(const ModelInfo& model);
    void setGallery(SampleGallery* gallery); // the source of "use the selected samples"
    void setSeeds(quint64 a, quint64 b, int classLabel);
    QPair<quint64, quint64> seeds() const;
    // End B's own class (frames blend the two classes' embeddings), or none: every frame has end A's.
    void setClassB(std::optional<int> classLabel);
    std::optional<int> classB() const;
    void compute();
    // Writes the strip as PNG (with settings) or the frames as a video (.avi, Motion JPEG, each frame
    // enlarged with whole pixels). Atomic: a temporary file renamed on success. False with a message.
    bool exportStrip(const QString& path, QString* error) const;
    bool exportVideo(const QString& path, int framesPerSecond, QString* error) const;

    QVector<QImage> frames() const { return m_frames; }
    QSlider* slider() const { return m_slider; }
    ImageInspector* viewer() const { return m_viewer; }
    QSpinBox* frameCount() const { return m_frameCount; }
    QString frameCaption(int index) const; // the caption under frame `index` of the strip
    QString positionText() const;          // "frame 8 of 16"

  signals:
    void errorOccurred(const QString& message);
    void framesReady();

  private:
    void onFinished(const JobResult& result);
    void showFrame(int index);

    Engine* m_engine;
    SampleGallery* m_gallery = nullptr;
    ModelInfo m_model;
    int m_job = 0;
    QVector<QImage> m_frames;
    QVariantMap m_settings;
    QTimer m_recompute;

    QSpinBox* m_seedA = nullptr;
    QSpinBox* m_seedB = nullptr;
    QSpinBox* m_frameCount = nullptr;
    QSpinBox* m_fps = nullptr;
    ClassPicker* m_class = nullptr;
    QCheckBox* m_classPerEnd = nullptr;
    ClassPicker* m_classB = nullptr;
    QSlider* m_slider = nullptr;
    QLabel* m_position = nullptr;
    ImageInspector* m_viewer = nullptr;
    ThumbnailStrip* m_strip = nullptr;
};
