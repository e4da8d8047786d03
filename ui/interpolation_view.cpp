#include "interpolation_view.h"

#include "class_picker.h"
#include "engine.h"
#include "image_convert.h"
#include "image_inspector.h"
#include "png_settings.h"
#include "sample_gallery.h"
#include "thumbnail_strip.h"

#include "core/image_util.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryFile>
#include <QVBoxLayout>

#include <opencv2/imgproc.hpp>
#include <cstdio>
#include <opencv2/videoio.hpp>

namespace {
constexpr int kVideoSide = 256; // frames are enlarged with whole pixels to about this size
}

InterpolationView::InterpolationView(Engine* engine, QWidget* parent) : QWidget(parent), m_engine(engine) {
    m_seedA = new QSpinBox;
    m_seedB = new QSpinBox;
    for (QSpinBox* seed : {m_seedA, m_seedB}) {
        seed->setRange(0, std::numeric_limits<int>::max());
        seed->setToolTip(tr("The one-step sample of this seed is an end of the morph"));
    }
    m_seedB->setValue(1);
    m_frameCount = new QSpinBox;
    m_frameCount->setRange(2, 128);
    m_frameCount->setValue(9);
    m_frameCount->setToolTip(tr("Frames including both ends"));
    m_class = new ClassPicker;
    m_class->setToolTip(tr("The class of end A (of every frame, unless end B has its own)"));
    m_classPerEnd = new QCheckBox(tr("Another class at end B"));
    m_classPerEnd->setToolTip(tr("Morph between two classes: the frames blend the class of A into that of B"));
    m_classB = new ClassPicker;
    m_classB->setToolTip(tr("The class of end B"));
    m_classB->setEnabled(false);
    m_fps = new QSpinBox;
    m_fps->setRange(1, 60);
    m_fps->setValue(8);
    m_fps->setToolTip(tr("Frames per second of the exported video"));
    auto* fromGallery = new QPushButton(tr("Use two selected samples"));
    fromGallery->setObjectName("useSelectedSamples");
    fromGallery->setToolTip(tr("Take the seeds and classes of the two samples selected in the Generate gallery"));
    auto* computeButton = new QPushButton(tr("Interpolate"));
    computeButton->setMinimumHeight(34);
    auto* exportStripButton = new QPushButton(tr("Export strip (PNG)…"));
    auto* exportVideoButton = new QPushButton(tr("Export video…"));

    auto* form = new QFormLayout;
    form->addRow(tr("Seed A"), m_seedA);
    form->addRow(tr("Seed B"), m_seedB);
    form->addRow(tr("Frames"), m_frameCount);
    form->addRow(tr("Class A"), m_class);
    form->addRow(m_classPerEnd);
    form->addRow(tr("Class B"), m_classB);
    form->addRow(tr("Video FPS"), m_fps);
    auto* controls = new QWidget;
    auto* controlsLayout = new QVBoxLayout(controls);
    controlsLayout->addLayout(form);
    controlsLayout->addWidget(fromGallery);
    controlsLayout->addWidget(computeButton);
    controlsLayout->addWidget(exportStripButton);
    controlsLayout->addWidget(exportVideoButton);
    controlsLayout->addStretch(1);

    m_viewer = new ImageInspector;
    m_slider = new QSlider(Qt::Horizontal);
    m_slider->setToolTip(tr("Morph from seed A to seed B"));
    m_slider->setEnabled(false);
    m_position = new QLabel;
    auto* sliderRow = new QHBoxLayout;
    sliderRow->addWidget(new QLabel(tr("A")));
    sliderRow->addWidget(m_slider, 1);
    sliderRow->addWidget(new QLabel(tr("B")));
    sliderRow->addWidget(m_position);
    m_strip = new ThumbnailStrip;
    m_strip->setZoom(2);
    auto* stripScroll = new QScrollArea;
    stripScroll->setWidget(m_strip);
    stripScroll->setWidgetResizable(true);
    stripScroll->setMinimumHeight(110);

    auto* right = new QVBoxLayout;
    right->addWidget(m_viewer, 1);
    right->addLayout(sliderRow);
    right->addWidget(stripScroll);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(controls);
    layout->addLayout(right, 1);

    // The seeds, frame count and video rate are kept across restarts (written as they change).
    const QList<QPair<QSpinBox*, QString>> kept = {
        {m_seedA, "interpolate/seedA"}, {m_seedB, "interpolate/seedB"}, {m_frameCount, "interpolate/frames"}, {m_fps, "interpolate/fps"}};
    for (const auto& [box, key] : kept) {
        box->setValue(QSettings().value(key, box->value()).toInt());
        connect(box, &QSpinBox::valueChanged, this, [key = key](int v) { QSettings().setValue(key, v); });
    }

    // Changing a seed or the frame count recomputes on its own, after typing settles.
    m_recompute.setSingleShot(true);
    m_recompute.setInterval(300);
    connect(&m_recompute, &QTimer::timeout, this, &InterpolationView::compute);
    for (QSpinBox* box : {m_seedA, m_seedB, m_frameCount})
        connect(box, &QSpinBox::valueChanged, this, [this] {
            if (!m_frames.isEmpty()) m_recompute.start();
        });
    connect(computeButton, &QPushButton::clicked, this, &InterpolationView::compute);
    connect(m_classPerEnd, &QCheckBox::toggled, m_classB, &QWidget::setEnabled);
    connect(m_slider, &QSlider::valueChanged, this, &InterpolationView::showFrame);
    connect(m_strip, &ThumbnailStrip::clicked, m_slider, &QSlider::setValue);
    connect(fromGallery, &QPushButton::clicked, this, [this] {
        if (!m_gallery) return;
        const QVector<int> rows = m_gallery->selectedIndices();
        if (rows.size() != 2) {
            emit errorOccurred(tr("Select exactly two samples in the Generate gallery (Ctrl+click)"));
            return;
        }
        const QVariantMap a = m_gallery->settings(rows[0]), b = m_gallery->settings(rows[1]);
        setSeeds(a.value("seed").toString().toULongLong(), b.value("seed").toString().toULongLong(), a.value("class").toInt());
        // Each end is its sample: with two classes, end B keeps its own (it took A's).
        const int classB = b.value("class", cm::kNoClass).toInt();
        setClassB(classB != a.value("class", cm::kNoClass).toInt() ? std::optional<int>(classB) : std::nullopt);
        compute();
    });
    connect(exportStripButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export strip"),
                                                          QSettings().value("folders/save").toString() + "/interpolation.png",
                                                          tr("PNG images (*.png)"));
        QString error;
        if (!path.isEmpty() && !exportStrip(path, &error)) emit errorOccurred(error);
    });
    connect(exportVideoButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export video"),
                                                          QSettings().value("folders/save").toString() + "/interpolation.avi",
                                                          tr("AVI video, Motion JPEG (*.avi)"));
        QString error;
        if (!path.isEmpty() && !exportVideo(path, m_fps->value(), &error)) emit errorOccurred(error);
    });
    connect(m_engine, &Engine::finished, this, &InterpolationView::onFinished);
    connect(m_engine, &Engine::failed, this, [this](int job, JobKind, const QString& message) {
        if (job == m_job) emit errorOccurred(message);
    });
}

void InterpolationView::setModel(const ModelInfo& model) {
    m_model = model;
    m_class->setClasses(model, false);
    m_classB->setClasses(model, false);
    m_classPerEnd->setEnabled(model.numClasses > 0);
    m_classB->setEnabled(model.numClasses > 0 && m_classPerEnd->isChecked());
    m_frames.clear();
    m_strip->clear();
    m_viewer->clear();
    m_slider->setEnabled(false);
    setEnabled(model.consistency && !model.pointModel);
}

void InterpolationView::setGallery(SampleGallery* gallery) { m_gallery = gallery; }

void InterpolationView::setSeeds(quint64 a, quint64 b, int classLabel) {
    m_seedA->setValue(int(a));
    m_seedB->setValue(int(b));
    m_class->setLabel(classLabel);
}

void InterpolationView::setClassB(std::optional<int> classLabel) {
    m_classPerEnd->setChecked(classLabel.has_value());
    if (classLabel) m_classB->setLabel(*classLabel);
}

std::optional<int> InterpolationView::classB() const {
    if (!m_classPerEnd->isChecked()) return std::nullopt;
    return m_classB->label();
}

QPair<quint64, quint64> InterpolationView::seeds() const {
    return {quint64(m_seedA->value()), quint64(m_seedB->value())};
}

void InterpolationView::compute() {
    if (m_model.path.isEmpty()) {
        emit errorOccurred(tr("Load a consistency model first"));
        return;
    }
    cm::InterpolationParams params;
    params.seedA = quint64(m_seedA->value());
    params.seedB = quint64(m_seedB->value());
    params.frames = m_frameCount->value();
    params.conditioning = cm::Conditioning::ofClass(m_class->label());
    if (const std::optional<int> b = classB()) params.conditioningB = cm::Conditioning::ofClass(*b);
    m_job = m_engine->interpolate(params);
}

void InterpolationView::onFinished(const JobResult& result) {
    if (result.job != m_job || result.kind != JobKind::Interpolate) return;
    m_frames = result.images;
    m_settings = result.settings;
    QStringList captions;
    // Counted from 1 like "frame 8 of 16" under the viewer.
    for (int i = 0; i < m_frames.size(); ++i) captions << QString::number(i + 1);
    m_strip->setImages(m_frames, captions);
    m_slider->setRange(0, int(m_frames.size()) - 1);
    m_slider->setEnabled(true);
    showFrame(m_slider->value());
    emit framesReady();
}

QString InterpolationView::frameCaption(int index) const { return m_strip->caption(index); }
QString InterpolationView::positionText() const { return m_position->text(); }

void InterpolationView::showFrame(int index) {
    if (index < 0 || index >= m_frames.size()) return;
    m_viewer->setImage(m_frames[index]);
    m_position->setText(tr("frame %1 of %2").arg(index + 1).arg(m_frames.size()));
}

bool InterpolationView::exportStrip(const QString& path, QString* error) const {
    if (m_frames.isEmpty()) {
        if (error) *error = tr("Interpolate first: there are no frames to export");
        return false;
    }
    const bool grey = m_frames.front().format() == QImage::Format_Grayscale8;
    std::vector<cv::Mat> tiles;
    for (const QImage& frame : m_frames)
        tiles.push_back(qImageTo8U(frame, grey ? 1 : 3));
    const QImage strip = matToQImage(cm::makeGrid(tiles, int(tiles.size())));
    return savePngWithSettings(strip, path, m_settings, error);
}

bool InterpolationView::exportVideo(const QString& path, int framesPerSecond, QString* error) const {
    if (m_frames.isEmpty()) {
        if (error) *error = tr("Interpolate first: there are no frames to export");
        return false;
    }
    // VideoWriter writes in place; write beside the target and rename so a failure leaves no half video.
    const QString temporary = QFileInfo(path).absolutePath() + "/." + QFileInfo(path).fileName() + ".partial.avi";
    const int zoom = std::max(1, kVideoSide / m_frames.front().width());
    const cv::Size size(m_frames.front().width() * zoom, m_frames.front().height() * zoom);
    cv::VideoWriter writer(temporary.toStdString(), cv::CAP_OPENCV_MJPEG, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'),
                           framesPerSecond, size, true);
    if (!writer.isOpened()) {
        if (error) *error = tr("%1: cannot write a video there").arg(path);
        return false;
    }
    for (const QImage& frame : m_frames) {
        const cv::Mat rgb = qImageTo8U(frame, 3);
        cv::Mat bgr, big;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        cv::resize(bgr, big, size, 0, 0, cv::INTER_NEAREST);
        writer.write(big);
    }
    writer.release();
    if (QFileInfo(temporary).size() == 0 ||
        std::rename(temporary.toLocal8Bit().constData(), path.toLocal8Bit().constData()) != 0) {
        QFile::remove(temporary);
        if (error) *error = tr("%1: the video could not be written").arg(path);
        return false;
    }
    return true;
}
